// CGSL.h — the one place where Swift meets GSL.
//
// GSL publishes its generator types as mutable C globals (`gsl_rng_mt19937`,
// `gsl_qrng_sobol`, ...). Swift 6 rejects reading them as shared mutable state, so every
// one the project uses gets a `static inline` accessor here, and no Swift file needs
// `nonisolated(unsafe)`. The accessors only read the globals; nothing here writes one.
//
// Never call gsl_rng_env_setup() or touch gsl_rng_default_seed: environment variables and
// a mutable global would change results silently.
#ifndef MEEK_CGSL_H
#define MEEK_CGSL_H

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_qrng.h>
#include <gsl/gsl_version.h>

#define MEEK_INLINE static inline __attribute__((__always_inline__))

// MARK: Random number generator types

/// Mersenne Twister MT19937 (period 2^19937 - 1).
MEEK_INLINE const gsl_rng_type *meek_gsl_rng_mt19937(void) { return gsl_rng_mt19937; }
/// L'Ecuyer's maximally equidistributed Tausworthe generator (fast, small state).
MEEK_INLINE const gsl_rng_type *meek_gsl_rng_taus2(void) { return gsl_rng_taus2; }
/// RANLUX at its second luxury level (slow, highest quality).
MEEK_INLINE const gsl_rng_type *meek_gsl_rng_ranlxd2(void) { return gsl_rng_ranlxd2; }

// MARK: Quasi-random generator types

/// Sobol' sequence (Antonov-Saleev), unscrambled, at most `max_dimension` (40) dimensions.
/// gsl_qrng_alloc does NOT refuse more (GSL 2.7 ignores the init status): check first.
MEEK_INLINE const gsl_qrng_type *meek_gsl_qrng_sobol(void) { return gsl_qrng_sobol; }

// MARK: Error handling

/// GSL's default handler aborts the process on a domain error. Turn it off once at
/// start-up; callers check status codes instead. Idempotent.
MEEK_INLINE void meek_gsl_disable_abort(void) { (void)gsl_set_error_handler_off(); }

/// The GSL version this binary was compiled against, e.g. "2.7.1".
MEEK_INLINE const char *meek_gsl_version(void) { return GSL_VERSION; }

#endif
