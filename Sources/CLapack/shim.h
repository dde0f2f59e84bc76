#ifndef DELTA_ARB_CLAPACK_SHIM_H
#define DELTA_ARB_CLAPACK_SHIM_H
// LAPACKE (least squares for ADF / AR(1) / ARCH-LM) and CBLAS from Debian's
// liblapacke-dev and libopenblas-dev.
#include <lapacke.h>
#include <cblas.h>
#endif
