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
#include <stdint.h>

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

// MARK: Whole-state seeding and skip-ahead
//
// gsl_rng_set() seeds mt19937 from only 32 bits, so streams of different blocks would
// collide in a large run. These helpers write the generator's whole state instead. They
// mirror GSL 2.x's private state layouts (mt.c, sobol.c) and refuse (return a non-zero
// status) when the state size GSL reports differs, so a layout change cannot corrupt
// anything silently; the tests compare them with GSL's own generation.

typedef struct { unsigned long mt[624]; int mti; } meek_mt19937_state;

/// Fills an mt19937 generator's 624-word state with `words` (32 bits each are used) and
/// marks it for regeneration, as if freshly seeded. Returns 0, or GSL_EBADLEN if the
/// generator is not mt19937 with the expected state layout.
MEEK_INLINE int meek_mt19937_set_state(gsl_rng *r, const uint64_t *words) {
    if (r->type != gsl_rng_mt19937 || gsl_rng_size(r) != sizeof(meek_mt19937_state)) return GSL_EBADLEN;
    meek_mt19937_state *s = (meek_mt19937_state *)gsl_rng_state(r);
    for (int i = 0; i < 624; i++) s->mt[i] = (unsigned long)(words[i] & 0xffffffffUL);
    s->mt[0] |= 0x80000000UL;  // never the all-zero state (as in MT's reference init)
    s->mti = 624;
    return 0;
}

typedef struct { unsigned long s1, s2, s3; } meek_taus_state;

/// Fills a taus2 generator's three 32-bit state words, raised to the minimum values the
/// generator needs (s1 ≥ 2, s2 ≥ 8, s3 ≥ 16) as gsl_rng_set does. Returns 0, or
/// GSL_EBADLEN if the generator is not taus2 with the expected state layout.
MEEK_INLINE int meek_taus2_set_state(gsl_rng *r, uint64_t w1, uint64_t w2, uint64_t w3) {
    if (r->type != gsl_rng_taus2 || gsl_rng_size(r) != sizeof(meek_taus_state)) return GSL_EBADLEN;
    meek_taus_state *s = (meek_taus_state *)gsl_rng_state(r);
    s->s1 = (unsigned long)(w1 & 0xffffffffUL); if (s->s1 < 2) s->s1 += 2UL;
    s->s2 = (unsigned long)(w2 & 0xffffffffUL); if (s->s2 < 8) s->s2 += 8UL;
    s->s3 = (unsigned long)(w3 & 0xffffffffUL); if (s->s3 < 16) s->s3 += 16UL;
    return 0;
}

#define MEEK_SOBOL_MAX_DIMENSION 40
#define MEEK_SOBOL_BIT_COUNT 30
typedef struct {
    unsigned int sequence_count;
    double last_denominator_inv;
    int last_numerator_vec[MEEK_SOBOL_MAX_DIMENSION];
    int v_direction[MEEK_SOBOL_BIT_COUNT][MEEK_SOBOL_MAX_DIMENSION];
} meek_sobol_state;

/// Moves a Sobol' generator so that its next gsl_qrng_get returns point `index` + 1 of
/// GSL's sequence (GSL never returns the origin, point 0): the numerators after `index`
/// points are the XOR of the direction numbers for the set bits of gray(index).
/// Returns 0, or GSL_EBADLEN / GSL_EINVAL on an unexpected layout or an index ≥ 2^30.
MEEK_INLINE int meek_sobol_skip_to(gsl_qrng *q, unsigned long index) {
    if (q->type != gsl_qrng_sobol || gsl_qrng_size(q) != sizeof(meek_sobol_state)) return GSL_EBADLEN;
    if (index >= (1UL << MEEK_SOBOL_BIT_COUNT)) return GSL_EINVAL;
    meek_sobol_state *s = (meek_sobol_state *)gsl_qrng_state(q);
    unsigned long gray = index ^ (index >> 1);
    for (unsigned int d = 0; d < q->dimension; d++) {
        int numerator = 0;
        for (int bit = 0; bit < MEEK_SOBOL_BIT_COUNT; bit++)
            if (gray & (1UL << bit)) numerator ^= s->v_direction[bit][d];
        s->last_numerator_vec[d] = numerator;
    }
    s->sequence_count = (unsigned int)index;
    return 0;
}

// MARK: Filling a block of draws

/// A uniform in (0, 1) from one 32-bit generator output x: (x + 0.5)·2^-32, never 0 or 1.
MEEK_INLINE double meek_uniform(unsigned long x) { return ((double)x + 0.5) * 0x1p-32; }

/// Plain Monte Carlo: fills `u[d * stride + i]` for draws i < count and dimensions d < dims,
/// draw by draw, each dimension in turn: a standard normal score from GSL's ziggurat
/// (gsl_ran_gaussian_ziggurat) where `gaussian[d]` is non-zero, else `meek_uniform` of one
/// output of the generator. The same numbers, in the same
/// order, as calling gsl_ran_gaussian_ziggurat and gsl_rng_get one at a time (which is
/// `r->type->get(r->state)`): the loop only saves the calls' overhead.
MEEK_INLINE void meek_fill_mc(gsl_rng *r, double *u, size_t count, size_t stride, size_t dims,
                              const unsigned char *gaussian) {
    unsigned long (*get)(void *) = r->type->get;
    void *state = r->state;
    for (size_t i = 0; i < count; i++) {
        for (size_t d = 0; d < dims; d++) {
            u[d * stride + i] = gaussian[d] ? gsl_ran_gaussian_ziggurat(r, 1.0)
                                            : meek_uniform(get(state));
        }
    }
}

#endif