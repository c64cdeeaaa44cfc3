/* envsynth's clock shift beneath Python, preloaded (LD_PRELOAD) into every process of a bwrap sandbox.
 *
 * Validation's varied runs show a verifier another date (verifier/sandbox/clock_shim.py says why). Shifting the
 * clock in Python (patched time.time, a stand-in datetime class, a wrapped os.stat) left clocks read in C unshifted
 * (SQLite's 'now' in SQL text built at run time paid every wrong answer after its date, round 32) and the patches
 * themselves visible (type(datetime.datetime) is not type in a varied run only). Here the C library's calendar
 * clock and the file times it reports are shifted for everything in the process, Python's own functions included,
 * and nothing in Python changes.
 *
 * The shift is set once per process by envsynth_shift_clock (the sandbox calls it in every verifier process, with
 * 0 in training and in validation's first run) and cannot be changed after that: a second call is refused, so
 * code that reached the function could not set the real clock back, nor tell by trying which run it is in.
 *
 * The calendar clocks (CLOCK_REALTIME, _COARSE, _ALARM, CLOCK_TAI) move by the shift, and the monotonic clocks
 * (CLOCK_MONOTONIC, _RAW, _COARSE, CLOCK_BOOTTIME, _ALARM) by the shift when it is ahead, never back (an uptime
 * below zero is one no machine shows). Until session 14 the monotonic clocks were shifted in Python, by patches
 * that existed in the varied runs alone: a profile hook saw their frames, gc.get_count() counted their objects,
 * and timeit's timer was one of them, so a verifier told a varied run from training with no name the static pass
 * knew, and two time bombs built so were admitted 4 of 4 times (red-team round 36). A deadline a process computes
 * from a shifted clock is shifted too, so every absolute wait the C library offers on these clocks takes the shift
 * off again before the kernel sees it: Python's sleeps (clock_nanosleep), lock timeouts (sem_clockwait) and the
 * GIL's switch interval (pthread_cond_timedwait on a monotonic condition variable) last as long in every run.
 * times() (os.times().elapsed) counts ticks of the monotonic kind and moves with them.
 * Not covered: timerfd_settime and timer_settime with absolute times (Python's standard library makes neither).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

static long long shift_ns;      /* the calendar clocks' */
static long long mono_shift_ns; /* the monotonic clocks': the shift when ahead, else 0 */
static int sealed;

int envsynth_shift_clock(long long ns) {
    if (sealed)
        return -1;
    sealed = 1;
    shift_ns = ns;
    mono_shift_ns = ns > 0 ? ns : 0;
    return 0;
}

static void *next(const char *name) { return dlsym(RTLD_NEXT, name); }

static void add_ns(struct timespec *ts, long long ns) {
    long long total = (long long)ts->tv_nsec + ns % 1000000000LL;
    ts->tv_sec += ns / 1000000000LL + total / 1000000000LL;
    total %= 1000000000LL;
    if (total < 0) {
        total += 1000000000LL;
        ts->tv_sec -= 1;
    }
    ts->tv_nsec = total;
}

static void add_to(struct timespec *ts) { add_ns(ts, shift_ns); }

static int calendar(clockid_t id) {
    return id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE || id == CLOCK_REALTIME_ALARM || id == CLOCK_TAI;
}

static int monotonic(clockid_t id) {
    return id == CLOCK_MONOTONIC || id == CLOCK_MONOTONIC_RAW || id == CLOCK_MONOTONIC_COARSE ||
           id == CLOCK_BOOTTIME || id == CLOCK_BOOTTIME_ALARM;
}

static long long shift_of(clockid_t id) { return calendar(id) ? shift_ns : monotonic(id) ? mono_shift_ns : 0; }

int clock_gettime(clockid_t id, struct timespec *ts) {
    static int (*real)(clockid_t, struct timespec *);
    if (!real)
        real = next("clock_gettime");
    int done = real(id, ts);
    long long shift = shift_of(id);
    if (done == 0 && shift)
        add_ns(ts, shift);
    return done;
}

/* A deadline on clock ``id`` as the kernel counts it: the shift taken off (a copy; the caller's stays as given). */
static const struct timespec *real_deadline(clockid_t id, const struct timespec *given, struct timespec *out) {
    long long shift = shift_of(id);
    if (!given || !shift)
        return given;
    *out = *given;
    add_ns(out, -shift);
    if (out->tv_sec < 0) { /* a deadline before the epoch has passed: the kernel refuses a negative one */
        out->tv_sec = 0;
        out->tv_nsec = 0;
    }
    return out;
}

int clock_nanosleep(clockid_t id, int flags, const struct timespec *request, struct timespec *remain) {
    static int (*real)(clockid_t, int, const struct timespec *, struct timespec *);
    if (!real)
        real = next("clock_nanosleep");
    struct timespec out;
    return real(id, flags, (flags & TIMER_ABSTIME) ? real_deadline(id, request, &out) : request, remain);
}

int sem_clockwait(sem_t *sem, clockid_t id, const struct timespec *deadline) {
    static int (*real)(sem_t *, clockid_t, const struct timespec *);
    if (!real)
        real = next("sem_clockwait");
    struct timespec out;
    return real(sem, id, real_deadline(id, deadline, &out));
}

int sem_timedwait(sem_t *restrict sem, const struct timespec *restrict deadline) {
    static int (*real)(sem_t *restrict, const struct timespec *restrict);
    if (!real)
        real = next("sem_timedwait");
    struct timespec out;
    return real(sem, real_deadline(CLOCK_REALTIME, deadline, &out));
}

/* The clock a condition variable waits on, as glibc keeps it: bit 1 of __wrefs (pthread_condattr_setclock). */
static clockid_t clock_of(const pthread_cond_t *cond) {
    return (cond->__data.__wrefs & 2) ? CLOCK_MONOTONIC : CLOCK_REALTIME;
}

int pthread_cond_timedwait(pthread_cond_t *restrict cond, pthread_mutex_t *restrict mutex,
                           const struct timespec *restrict deadline) {
    static int (*real)(pthread_cond_t *restrict, pthread_mutex_t *restrict, const struct timespec *restrict);
    if (!real)
        real = dlvsym(RTLD_NEXT, "pthread_cond_timedwait", "GLIBC_2.3.2");
    if (!real)
        real = next("pthread_cond_timedwait");
    struct timespec out;
    return real(cond, mutex, real_deadline(clock_of(cond), deadline, &out));
}

int pthread_cond_clockwait(pthread_cond_t *restrict cond, pthread_mutex_t *restrict mutex, clockid_t id,
                           const struct timespec *restrict deadline) {
    static int (*real)(pthread_cond_t *restrict, pthread_mutex_t *restrict, clockid_t, const struct timespec *restrict);
    if (!real)
        real = next("pthread_cond_clockwait");
    struct timespec out;
    return real(cond, mutex, id, real_deadline(id, deadline, &out));
}

int pthread_mutex_timedlock(pthread_mutex_t *restrict mutex, const struct timespec *restrict deadline) {
    static int (*real)(pthread_mutex_t *restrict, const struct timespec *restrict);
    if (!real)
        real = next("pthread_mutex_timedlock");
    struct timespec out;
    return real(mutex, real_deadline(CLOCK_REALTIME, deadline, &out));
}

int pthread_mutex_clocklock(pthread_mutex_t *restrict mutex, clockid_t id, const struct timespec *restrict deadline) {
    static int (*real)(pthread_mutex_t *restrict, clockid_t, const struct timespec *restrict);
    if (!real)
        real = next("pthread_mutex_clocklock");
    struct timespec out;
    return real(mutex, id, real_deadline(id, deadline, &out));
}

int pthread_timedjoin_np(pthread_t thread, void **result, const struct timespec *deadline) {
    static int (*real)(pthread_t, void **, const struct timespec *);
    if (!real)
        real = next("pthread_timedjoin_np");
    struct timespec out;
    return real(thread, result, real_deadline(CLOCK_REALTIME, deadline, &out));
}

int pthread_clockjoin_np(pthread_t thread, void **result, clockid_t id, const struct timespec *deadline) {
    static int (*real)(pthread_t, void **, clockid_t, const struct timespec *);
    if (!real)
        real = next("pthread_clockjoin_np");
    struct timespec out;
    return real(thread, result, id, real_deadline(id, deadline, &out));
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
    static int (*real)(struct timeval *restrict, void *restrict);
    if (!real)
        real = next("gettimeofday");
    int done = real(tv, tz);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnonnull-compare"
    if (done == 0 && tv && shift_ns) {
        struct timespec ts = {tv->tv_sec, tv->tv_usec * 1000L};
        add_to(&ts);
        tv->tv_sec = ts.tv_sec;
        tv->tv_usec = ts.tv_nsec / 1000L;
    }
#pragma GCC diagnostic pop
    return done;
}

time_t time(time_t *out) {
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return (time_t)-1;
    if (out)
        *out = ts.tv_sec;
    return ts.tv_sec;
}

/* Clock ticks since a point in the past (os.times().elapsed): a monotonic count, moved by the monotonic shift. Left
 * unshifted beside a shifted monotonic clock, the difference was the shift, and with time() the real date, in every
 * run: a time bomb built so was admitted 4 of 4 times (red-team round 38). */
clock_t times(struct tms *buf) {
    static clock_t (*real)(struct tms *);
    if (!real)
        real = next("times");
    clock_t done = real(buf);
    if (done != (clock_t)-1 && mono_shift_ns) {
        long long tick = sysconf(_SC_CLK_TCK);
        if (tick > 0)
            done += (clock_t)(mono_shift_ns / 1000000000LL * tick + mono_shift_ns % 1000000000LL * tick / 1000000000LL);
    }
    return done;
}

static void shift_stat(struct stat *st) {
    if (!shift_ns)
        return;
    add_to(&st->st_atim);
    add_to(&st->st_mtim);
    add_to(&st->st_ctim);
}

#define STAT_LIKE(name, type, params, args)                                                                        \
    int name params {                                                                                               \
        static int (*real) params;                                                                                  \
        if (!real)                                                                                                  \
            real = next(#name);                                                                                     \
        int done = real args;                                                                                       \
        if (done == 0)                                                                                              \
            shift_stat((struct stat *)st);                                                                          \
        return done;                                                                                                \
    }

STAT_LIKE(stat, struct stat, (const char *restrict path, struct stat *restrict st), (path, st))
STAT_LIKE(stat64, struct stat64, (const char *restrict path, struct stat64 *restrict st), (path, st))
STAT_LIKE(lstat, struct stat, (const char *restrict path, struct stat *restrict st), (path, st))
STAT_LIKE(lstat64, struct stat64, (const char *restrict path, struct stat64 *restrict st), (path, st))
STAT_LIKE(fstat, struct stat, (int fd, struct stat *st), (fd, st))
STAT_LIKE(fstat64, struct stat64, (int fd, struct stat64 *st), (fd, st))
STAT_LIKE(fstatat, struct stat, (int dir, const char *restrict path, struct stat *restrict st, int flags),
          (dir, path, st, flags))
STAT_LIKE(fstatat64, struct stat64, (int dir, const char *restrict path, struct stat64 *restrict st, int flags),
          (dir, path, st, flags))

/* Times a process sets explicitly are stored unshifted, so that they read back as given: without this, a verifier
 * set a file's time to 0 and read the shift itself back, then took it from any shifted clock to get the real date in
 * every run (red-team round 35). UTIME_NOW and UTIME_OMIT (and no times at all: now) are left to the kernel. */
static void unshift_spec(struct timespec *ts) {
    if (ts->tv_nsec == UTIME_NOW || ts->tv_nsec == UTIME_OMIT)
        return;
    add_ns(ts, -shift_ns);  /* (never by negating the shared shift: another thread would read the real clock) */
}

static const struct timespec *unshifted_specs(const struct timespec given[2], struct timespec out[2]) {
    if (!given || !shift_ns)
        return given;
    out[0] = given[0];
    out[1] = given[1];
    unshift_spec(&out[0]);
    unshift_spec(&out[1]);
    return out;
}

static const struct timeval *unshifted_vals(const struct timeval given[2], struct timeval out[2]) {
    if (!given || !shift_ns)
        return given;
    for (int i = 0; i < 2; i++) {
        struct timespec ts = {given[i].tv_sec, given[i].tv_usec * 1000L};
        unshift_spec(&ts);
        out[i].tv_sec = ts.tv_sec;
        out[i].tv_usec = ts.tv_nsec / 1000L;
    }
    return out;
}

int utimensat(int dir, const char *path, const struct timespec times[2], int flags) {
    static int (*real)(int, const char *, const struct timespec[2], int);
    if (!real)
        real = next("utimensat");
    struct timespec out[2];
    return real(dir, path, unshifted_specs(times, out), flags);
}

int futimens(int fd, const struct timespec times[2]) {
    static int (*real)(int, const struct timespec[2]);
    if (!real)
        real = next("futimens");
    struct timespec out[2];
    return real(fd, unshifted_specs(times, out));
}

#define TIMEVAL_SETTER(name, params, args)                                                                          \
    int name params {                                                                                               \
        static int (*real) params;                                                                                  \
        if (!real)                                                                                                  \
            real = next(#name);                                                                                     \
        struct timeval out[2];                                                                                      \
        const struct timeval *given = tv;                                                                           \
        tv = unshifted_vals(given, out);                                                                            \
        return real args;                                                                                           \
    }

TIMEVAL_SETTER(utimes, (const char *path, const struct timeval tv[2]), (path, tv))
TIMEVAL_SETTER(lutimes, (const char *path, const struct timeval tv[2]), (path, tv))
TIMEVAL_SETTER(futimes, (int fd, const struct timeval tv[2]), (fd, tv))
TIMEVAL_SETTER(futimesat, (int dir, const char *path, const struct timeval tv[2]), (dir, path, tv))

int utime(const char *path, const struct utimbuf *times) {
    static int (*real)(const char *, const struct utimbuf *);
    if (!real)
        real = next("utime");
    if (!times || !shift_ns)
        return real(path, times);
    struct timespec access = {times->actime, 0}, modified = {times->modtime, 0};
    unshift_spec(&access);
    unshift_spec(&modified);
    struct utimbuf out = {access.tv_sec, modified.tv_sec};
    return real(path, &out);
}

static void shift_stamp(struct statx_timestamp *stamp) {
    struct timespec ts = {stamp->tv_sec, stamp->tv_nsec};
    add_to(&ts);
    stamp->tv_sec = ts.tv_sec;
    stamp->tv_nsec = (unsigned)ts.tv_nsec;
}

int statx(int dir, const char *restrict path, int flags, unsigned int mask, struct statx *restrict st) {
    static int (*real)(int, const char *restrict, int, unsigned int, struct statx *restrict);
    if (!real)
        real = next("statx");
    int done = real(dir, path, flags, mask, st);
    if (done == 0 && shift_ns) {
        shift_stamp(&st->stx_atime);
        shift_stamp(&st->stx_btime);
        shift_stamp(&st->stx_ctime);
        shift_stamp(&st->stx_mtime);
    }
    return done;
}
