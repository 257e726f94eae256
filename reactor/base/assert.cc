#include "reactor/base/assert.h"

#include <cstdio>
#include <cstdlib>

namespace cashierd {

void assert_fail(const char* condition, const char* file, int line) {
    std::fprintf(stderr, "{\"level\":\"fatal\",\"message\":\"assertion failed: %s at %s:%d\"}\n",
                 condition, file, line);
    std::fflush(stderr);
    std::abort();
}

}  // namespace cashierd
