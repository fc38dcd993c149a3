/*
 * A fake libnvidia-ml.so for flightdeck's GPU tests and benches.
 *
 * It exports the NVML symbols that nvml-wrapper 0.13 calls for the GPU pane,
 * with the C signatures and struct layouts of nvml-wrapper-sys 0.10's bindings.
 * The machine it pretends to be is chosen by a profile: the compile-time default
 * FAKE_NVML_DEFAULT_PROFILE (so that tests running in parallel can load different
 * copies of the library side by side), overridden by the FAKE_NVML_PROFILE
 * environment variable, read in nvmlInit. Built with -DFAKE_NVML_NO_THROTTLE_SYMBOL it
 * lacks the deprecated nvmlDeviceGetCurrentClocksThrottleReasons.
 *
 * Profiles:
 *   h100x8         8 x H100 SXM, no fan (SXM boards have none), PCIe gen 5 x16,
 *                  compute processes on GPU 0 (this process and a pid that does
 *                  not exist), ECC corrected errors on GPU 3
 *   gb10           one GB10 (DGX Spark): memory NOT_SUPPORTED, no fan, no power cap,
 *                  no temperature thresholds, PCIe gen 1 x1
 *   gb10-zero      as gb10, but memory answers SUCCESS with a zero total
 *   gb10-memtotal  as gb10, but memory answers SUCCESS with total = host MemTotal
 *   throttle       2 x H100: GPU 0 at its power cap, GPU 1 hot and thermally slowed
 *   broken         4 x H100, GPU 2 has fallen off the bus (every call: GPU_IS_LOST)
 *   nogpu          NVML loads, but there are no devices
 *   nodriver       nvmlInit answers DRIVER_NOT_LOADED
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef FAKE_NVML_DEFAULT_PROFILE
#define FAKE_NVML_DEFAULT_PROFILE "h100x8"
#endif

#define EXPORT __attribute__((visibility("default")))

typedef int nvmlReturn_t;
enum {
    NVML_SUCCESS = 0,
    NVML_ERROR_UNINITIALIZED = 1,
    NVML_ERROR_INVALID_ARGUMENT = 2,
    NVML_ERROR_NOT_SUPPORTED = 3,
    NVML_ERROR_NOT_FOUND = 6,
    NVML_ERROR_INSUFFICIENT_SIZE = 7,
    NVML_ERROR_DRIVER_NOT_LOADED = 9,
    NVML_ERROR_GPU_IS_LOST = 15,
    NVML_ERROR_ARGUMENT_VERSION_MISMATCH = 25,
};

typedef struct { unsigned int gpu; unsigned int memory; } nvmlUtilization_t;
typedef struct {
    unsigned int version;
    unsigned long long total;
    unsigned long long reserved;
    unsigned long long free;
    unsigned long long used;
} nvmlMemory_v2_t;
typedef struct {
    unsigned int pid;
    unsigned long long usedGpuMemory;
    unsigned int gpuInstanceId;
    unsigned int computeInstanceId;
} nvmlProcessInfo_t;
typedef struct {
    unsigned int pid;
    unsigned long long timeStamp;
    unsigned int smUtil;
    unsigned int memUtil;
    unsigned int encUtil;
    unsigned int decUtil;
} nvmlProcessUtilizationSample_t;

#define MAX_GPUS 8
#define MAX_PROCS 4
#define NOT_AVAILABLE 0xFFFFFFFFFFFFFFFFULL
#define GIB (1024ULL * 1024ULL * 1024ULL)
#define MIB (1024ULL * 1024ULL)

/* Memory behaviour of a device. */
enum { MEM_DEDICATED, MEM_NOT_SUPPORTED, MEM_ZERO_TOTAL, MEM_HOST_TOTAL };

struct fake_gpu {
    int lost;
    char name[96];
    char uuid[96];
    unsigned int util_gpu, util_mem;
    int mem_mode;
    unsigned long long mem_total, mem_used, mem_reserved;
    int temp_ok; unsigned int temp;
    int thresholds_ok; unsigned int slowdown, shutdown;
    unsigned int power_mw;
    int power_limit_ok; unsigned int power_limit_mw;
    unsigned int sm_clock, sm_clock_max, mem_clock, mem_clock_max;
    int fan_ok; unsigned int fan;
    unsigned long long throttle;
    int nprocs;
    unsigned int proc_pid[MAX_PROCS];
    unsigned long long proc_mem[MAX_PROCS];
    int proc_util_ok; /* one process-utilisation sample for proc 0 when asked from 0 */
    unsigned int pcie_gen, pcie_width, pcie_tx, pcie_rx;
    int ecc_ok; unsigned long long ecc_corrected, ecc_uncorrected;
};

static struct fake_gpu gpus[MAX_GPUS];
static unsigned int gpu_count;
/* reference counted like the real NVML: every nvmlInit needs its nvmlShutdown, so one
 * test shutting down does not pull the library from under another in the same process */
static int initialised;
static int init_result;

static void copy_str(char *dst, size_t cap, const char *src) {
    snprintf(dst, cap, "%s", src);
}

static unsigned long long host_mem_total(void) {
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    unsigned long long kb = 0;
    if (!f) return 0;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "MemTotal: %llu kB", &kb) == 1) break;
    }
    fclose(f);
    return kb * 1024ULL;
}

static void h100(struct fake_gpu *g, unsigned int i) {
    memset(g, 0, sizeof *g);
    copy_str(g->name, sizeof g->name, "NVIDIA H100 80GB HBM3");
    snprintf(g->uuid, sizeof g->uuid, "GPU-5f8b2c1e-7a3d-4e9f-b2c6-0000000000%02u", i);
    g->util_gpu = 10 * i + 5;
    g->util_mem = 3 * i + 1;
    g->mem_mode = MEM_DEDICATED;
    g->mem_total = 81559ULL * MIB;
    g->mem_reserved = 512ULL * MIB;
    g->mem_used = (unsigned long long)(i + 1) * 4ULL * GIB;
    g->temp_ok = 1; g->temp = 35 + 3 * i;
    g->thresholds_ok = 1; g->slowdown = 89; g->shutdown = 92;
    g->power_mw = 120000 + 10000 * i;
    g->power_limit_ok = 1; g->power_limit_mw = 700000;
    g->sm_clock = 1980; g->sm_clock_max = 1980;
    g->mem_clock = 2619; g->mem_clock_max = 2619;
    g->fan_ok = 0;
    g->throttle = 0;
    g->pcie_gen = 5; g->pcie_width = 16;
    g->pcie_tx = 1000 * i; g->pcie_rx = 2000 * i;
    g->ecc_ok = 1;
}

static void gb10(struct fake_gpu *g, int mem_mode) {
    memset(g, 0, sizeof *g);
    copy_str(g->name, sizeof g->name, "NVIDIA GB10");
    copy_str(g->uuid, sizeof g->uuid, "GPU-a1b2c3d4-0000-4000-8000-00000000gb10");
    g->util_gpu = 42; g->util_mem = 0;
    g->mem_mode = mem_mode;
    if (mem_mode == MEM_HOST_TOTAL) {
        g->mem_total = host_mem_total();
        g->mem_used = g->mem_total / 4;
    }
    g->temp_ok = 1; g->temp = 36;
    g->thresholds_ok = 0;
    g->power_mw = 3000;
    g->power_limit_ok = 0;
    g->sm_clock = 2405; g->sm_clock_max = 3003;
    g->mem_clock = 0; g->mem_clock_max = 0;
    g->fan_ok = 0;
    g->nprocs = 1;
    g->proc_pid[0] = (unsigned int)getpid();
    g->proc_mem[0] = 2ULL * GIB;
    g->pcie_gen = 1; g->pcie_width = 1;
    g->ecc_ok = 0;
}

static void load_profile(const char *p) {
    unsigned int i;
    gpu_count = 0;
    init_result = NVML_SUCCESS;
    if (strcmp(p, "gb10") == 0) {
        gpu_count = 1; gb10(&gpus[0], MEM_NOT_SUPPORTED);
    } else if (strcmp(p, "gb10-zero") == 0) {
        gpu_count = 1; gb10(&gpus[0], MEM_ZERO_TOTAL);
    } else if (strcmp(p, "gb10-memtotal") == 0) {
        gpu_count = 1; gb10(&gpus[0], MEM_HOST_TOTAL);
    } else if (strcmp(p, "throttle") == 0) {
        gpu_count = 2;
        h100(&gpus[0], 0); h100(&gpus[1], 1);
        gpus[0].util_gpu = 100; gpus[0].power_mw = 699000;
        gpus[0].throttle = 0x4; /* SW power cap */
        gpus[1].util_gpu = 97; gpus[1].temp = 91;
        gpus[1].sm_clock = 1215;
        gpus[1].throttle = 0x20 | 0x40; /* SW + HW thermal slowdown */
    } else if (strcmp(p, "broken") == 0) {
        gpu_count = 4;
        for (i = 0; i < gpu_count; i++) h100(&gpus[i], i);
        gpus[2].lost = 1;
    } else if (strcmp(p, "nogpu") == 0) {
        gpu_count = 0;
    } else if (strcmp(p, "nodriver") == 0) {
        init_result = NVML_ERROR_DRIVER_NOT_LOADED;
    } else { /* h100x8 */
        gpu_count = 8;
        for (i = 0; i < gpu_count; i++) h100(&gpus[i], i);
        gpus[0].nprocs = 2;
        gpus[0].proc_pid[0] = (unsigned int)getpid();
        gpus[0].proc_mem[0] = 3ULL * GIB;
        gpus[0].proc_pid[1] = 0x3ffffffe; /* above pid_max: no /proc entry */
        gpus[0].proc_mem[1] = NOT_AVAILABLE;
        gpus[0].proc_util_ok = 1;
        gpus[3].ecc_corrected = 2;
        gpus[7].throttle = 0x1; /* idle */
    }
}

static nvmlReturn_t do_init(void) {
    /* the profile is loaded by the first holder only: reloading it under another thread
     * that is sampling would show it zero GPUs for a moment */
    if (__sync_fetch_and_add(&initialised, 0) == 0) {
        const char *p = getenv("FAKE_NVML_PROFILE");
        load_profile(p && *p ? p : FAKE_NVML_DEFAULT_PROFILE);
    }
    if (init_result == NVML_SUCCESS) __sync_fetch_and_add(&initialised, 1);
    return init_result;
}

EXPORT nvmlReturn_t nvmlInit_v2(void) { return do_init(); }
EXPORT nvmlReturn_t nvmlInitWithFlags(unsigned int flags) { (void)flags; return do_init(); }
EXPORT nvmlReturn_t nvmlShutdown(void) {
    if (__sync_fetch_and_sub(&initialised, 1) <= 0) {
        __sync_fetch_and_add(&initialised, 1);
        return NVML_ERROR_UNINITIALIZED;
    }
    return NVML_SUCCESS;
}

EXPORT const char *nvmlErrorString(nvmlReturn_t r) {
    switch (r) {
    case NVML_SUCCESS: return "Success";
    case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
    case NVML_ERROR_GPU_IS_LOST: return "GPU is lost";
    default: return "Unknown Error";
    }
}

static nvmlReturn_t put_str(char *dst, unsigned int len, const char *src) {
    if (!dst) return NVML_ERROR_INVALID_ARGUMENT;
    if (strlen(src) + 1 > len) return NVML_ERROR_INSUFFICIENT_SIZE;
    memcpy(dst, src, strlen(src) + 1);
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length) {
    if (!initialised) return NVML_ERROR_UNINITIALIZED;
    return put_str(version, length, "580.95.05");
}

EXPORT nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count) {
    if (!initialised) return NVML_ERROR_UNINITIALIZED;
    if (!count) return NVML_ERROR_INVALID_ARGUMENT;
    *count = gpu_count;
    return NVML_SUCCESS;
}

typedef struct fake_gpu *nvmlDevice_t;

EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device) {
    if (!initialised) return NVML_ERROR_UNINITIALIZED;
    if (!device || index >= gpu_count) return NVML_ERROR_INVALID_ARGUMENT;
    *device = &gpus[index];
    return NVML_SUCCESS;
}

/* Validates a handle; answers GPU_IS_LOST for a device that fell off the bus. */
#define CHECK(dev, out)                                                        \
    do {                                                                       \
        if (!initialised) return NVML_ERROR_UNINITIALIZED;                     \
        if (!(dev) || (dev) < gpus || (dev) >= gpus + gpu_count || !(out))     \
            return NVML_ERROR_INVALID_ARGUMENT;                                \
        if ((dev)->lost) return NVML_ERROR_GPU_IS_LOST;                        \
    } while (0)

EXPORT nvmlReturn_t nvmlDeviceGetIndex(nvmlDevice_t d, unsigned int *index) {
    CHECK(d, index);
    *index = (unsigned int)(d - gpus);
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t d, char *name, unsigned int length) {
    CHECK(d, name);
    return put_str(name, length, d->name);
}

EXPORT nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t d, char *uuid, unsigned int length) {
    CHECK(d, uuid);
    return put_str(uuid, length, d->uuid);
}

EXPORT nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t d, int sensor, unsigned int *temp) {
    CHECK(d, temp);
    if (sensor != 0) return NVML_ERROR_INVALID_ARGUMENT;
    if (!d->temp_ok) return NVML_ERROR_NOT_SUPPORTED;
    *temp = d->temp;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetTemperatureThreshold(nvmlDevice_t d, int type, unsigned int *temp) {
    CHECK(d, temp);
    if (!d->thresholds_ok) return NVML_ERROR_NOT_SUPPORTED;
    switch (type) {
    case 0: *temp = d->shutdown; return NVML_SUCCESS;
    case 1: *temp = d->slowdown; return NVML_SUCCESS;
    default: return NVML_ERROR_NOT_SUPPORTED;
    }
}

EXPORT nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t d, nvmlUtilization_t *u) {
    CHECK(d, u);
    u->gpu = d->util_gpu;
    u->memory = d->util_mem;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t d, nvmlMemory_v2_t *m) {
    CHECK(d, m);
    if (m->version != ((unsigned int)sizeof(nvmlMemory_v2_t) | (2u << 24)))
        return NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
    switch (d->mem_mode) {
    case MEM_NOT_SUPPORTED:
        m->total = m->reserved = m->free = m->used = 0;
        return NVML_ERROR_NOT_SUPPORTED;
    case MEM_ZERO_TOTAL:
        m->total = m->reserved = m->free = m->used = 0;
        return NVML_SUCCESS;
    default:
        m->total = d->mem_total;
        m->reserved = d->mem_reserved;
        m->used = d->mem_used;
        m->free = d->mem_total - d->mem_reserved - d->mem_used;
        return NVML_SUCCESS;
    }
}

EXPORT nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t d, unsigned int *mw) {
    CHECK(d, mw);
    *mw = d->power_mw;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t d, unsigned int *mw) {
    CHECK(d, mw);
    if (!d->power_limit_ok) return NVML_ERROR_NOT_SUPPORTED;
    *mw = d->power_limit_mw;
    return NVML_SUCCESS;
}

static nvmlReturn_t clock_value(nvmlDevice_t d, int type, unsigned int *mhz, int max) {
    unsigned int v;
    switch (type) {
    case 0: /* graphics */
    case 1: v = max ? d->sm_clock_max : d->sm_clock; break; /* SM */
    case 2: v = max ? d->mem_clock_max : d->mem_clock; break;
    default: return NVML_ERROR_NOT_SUPPORTED;
    }
    if (v == 0) return NVML_ERROR_NOT_SUPPORTED;
    *mhz = v;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t d, int type, unsigned int *mhz) {
    CHECK(d, mhz);
    return clock_value(d, type, mhz, 0);
}

EXPORT nvmlReturn_t nvmlDeviceGetMaxClockInfo(nvmlDevice_t d, int type, unsigned int *mhz) {
    CHECK(d, mhz);
    return clock_value(d, type, mhz, 1);
}

EXPORT nvmlReturn_t nvmlDeviceGetNumFans(nvmlDevice_t d, unsigned int *n) {
    CHECK(d, n);
    *n = d->fan_ok ? 1 : 0;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetFanSpeed(nvmlDevice_t d, unsigned int *speed) {
    CHECK(d, speed);
    if (!d->fan_ok) return NVML_ERROR_NOT_SUPPORTED;
    *speed = d->fan;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetFanSpeed_v2(nvmlDevice_t d, unsigned int fan, unsigned int *speed) {
    CHECK(d, speed);
    if (!d->fan_ok) return NVML_ERROR_NOT_SUPPORTED;
    if (fan != 0) return NVML_ERROR_INVALID_ARGUMENT;
    *speed = d->fan;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetCurrentClocksEventReasons(nvmlDevice_t d, unsigned long long *r) {
    CHECK(d, r);
    *r = d->throttle;
    return NVML_SUCCESS;
}

/* Built without this deprecated name to stand for a driver that only has the new one. */
#ifndef FAKE_NVML_NO_THROTTLE_SYMBOL
EXPORT nvmlReturn_t nvmlDeviceGetCurrentClocksThrottleReasons(nvmlDevice_t d, unsigned long long *r) {
    return nvmlDeviceGetCurrentClocksEventReasons(d, r);
}
#endif

EXPORT nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t d, unsigned int *count,
                                                           nvmlProcessInfo_t *infos) {
    int i;
    CHECK(d, count);
    if (infos == NULL || *count < (unsigned int)d->nprocs) {
        unsigned int want = (unsigned int)d->nprocs;
        *count = want;
        return want == 0 ? NVML_SUCCESS : NVML_ERROR_INSUFFICIENT_SIZE;
    }
    for (i = 0; i < d->nprocs; i++) {
        infos[i].pid = d->proc_pid[i];
        infos[i].usedGpuMemory = d->proc_mem[i];
        infos[i].gpuInstanceId = 0xFFFFFFFFu;
        infos[i].computeInstanceId = 0xFFFFFFFFu;
    }
    *count = (unsigned int)d->nprocs;
    return NVML_SUCCESS;
}

/* NVML answers NOT_FOUND when no sample is newer than lastSeenTimeStamp. */
EXPORT nvmlReturn_t nvmlDeviceGetProcessUtilization(nvmlDevice_t d, nvmlProcessUtilizationSample_t *s,
                                                   unsigned int *count, unsigned long long last_seen) {
    CHECK(d, count);
    if (!d->proc_util_ok || d->nprocs == 0 || last_seen >= 1000000ULL) return NVML_ERROR_NOT_FOUND;
    if (s == NULL || *count < 1) {
        *count = 1;
        return NVML_ERROR_INSUFFICIENT_SIZE;
    }
    s[0].pid = d->proc_pid[0];
    s[0].timeStamp = 1000000ULL;
    s[0].smUtil = 37;
    s[0].memUtil = 12;
    s[0].encUtil = 0;
    s[0].decUtil = 0;
    *count = 1;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetPcieThroughput(nvmlDevice_t d, int counter, unsigned int *kbps) {
    CHECK(d, kbps);
    switch (counter) {
    case 0: *kbps = d->pcie_tx; return NVML_SUCCESS;
    case 1: *kbps = d->pcie_rx; return NVML_SUCCESS;
    default: return NVML_ERROR_INVALID_ARGUMENT;
    }
}

EXPORT nvmlReturn_t nvmlDeviceGetCurrPcieLinkGeneration(nvmlDevice_t d, unsigned int *gen) {
    CHECK(d, gen);
    *gen = d->pcie_gen;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetCurrPcieLinkWidth(nvmlDevice_t d, unsigned int *width) {
    CHECK(d, width);
    *width = d->pcie_width;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetTotalEccErrors(nvmlDevice_t d, int error_type, int counter_type,
                                               unsigned long long *count) {
    CHECK(d, count);
    (void)counter_type;
    if (!d->ecc_ok) return NVML_ERROR_NOT_SUPPORTED;
    *count = error_type == 0 ? d->ecc_corrected : d->ecc_uncorrected;
    return NVML_SUCCESS;
}
