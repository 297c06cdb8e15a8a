// A file no build file names: showing it in a page is an error.

int main()
{
    return 0;
}
