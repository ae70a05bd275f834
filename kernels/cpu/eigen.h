// Eigen for the CPU kernels, in a namespace of their own.
//
// The kernels are compiled for a wider instruction set (-march=x86-64-v3: AVX2) than the rest of
// the project, which uses Eigen too (the fitter, through Ceres). Eigen's inline functions then
// differ between the two: with AVX its aligned allocator aligns to 32 bytes by hand, without it
// plain malloc suffices. The linker keeps one copy of each inline function for the whole program,
// so a buffer one copy allocated could be freed by the other (a sanitized build found exactly
// that). Renaming Eigen's namespace in the kernels' sources makes their copies their own. Include
// this header, never <Eigen/...> directly, in kernels/cpu/.
#ifndef MIXLAW_KERNELS_CPU_EIGEN_H_
#define MIXLAW_KERNELS_CPU_EIGEN_H_

#define Eigen mixlaw_kernels_eigen
#include <Eigen/Core>

#endif  // MIXLAW_KERNELS_CPU_EIGEN_H_
