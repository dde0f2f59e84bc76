#include <zlib.h>

/* inflateInit2 is a macro (it passes the library version and the stream's
   size), which Swift cannot call; this is the same call as a function. */
static inline int czlib_inflate_init2(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}
