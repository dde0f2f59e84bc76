#ifndef MALLOC_COUNTER_H
#define MALLOC_COUNTER_H

#include <stdint.h>

/// Heap allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc,
/// memalign) made by this process since it started, every thread counted.
/// Linking this target into an executable interposes those functions (the
/// executable's definitions win over the C library's); each counts and then
/// forwards to glibc's own implementation.
uint64_t malloc_counter_allocations(void);

#endif
