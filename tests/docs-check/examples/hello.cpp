// A program of the documentation check's test: good.md shows it whole and
// shows its part `greeting`; bad.md shows both wrongly.

#include "hello.hpp"

#include <cstdio>

int main()
{
    //[greeting
    std::puts("hello, docs");
    //]
    return answer() == 42 ? 0 : 1;
}
