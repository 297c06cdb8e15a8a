// A header of the documentation check's test, shown whole in good.md.

#pragma once

inline int answer()
{
    return 42;
}
