// What the driver says about one device: name, SM count, compute capability, memory and clocks.
// It leaves out the hundred other attributes; add them here when something needs them.
package org.panatrain.bindings;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Properties of one CUDA device.
 *
 * <pre>{@code
 * for (DeviceProperties d : DeviceProperties.all()) {
 *     System.out.println(d.name() + " sm_" + d.ccMajor() + d.ccMinor() + " " + d.smCount() + " SMs");
 * }
 * }</pre>
 *
 * @param ordinal        0 for the first device
 * @param name           e.g. "NVIDIA H100 80GB HBM3"
 * @param smCount        streaming multiprocessors
 * @param ccMajor        compute capability, major
 * @param ccMinor        compute capability, minor
 * @param totalMemory    bytes of device memory
 * @param clockKHz       SM clock (the driver's "typical" clock; 0 when the driver does not report it)
 * @param memoryClockKHz memory clock (0 when not reported)
 * @param busWidthBits   memory bus width
 * @param l2CacheBytes   L2 cache size
 */
public record DeviceProperties(int ordinal, String name, int smCount, int ccMajor, int ccMinor, long totalMemory,
                               int clockKHz, int memoryClockKHz, int busWidthBits, int l2CacheBytes) {

    /** Every device the driver reports (cuInit is called here). */
    public static List<DeviceProperties> all() {
        CudaDriver.check(CudaDriver.cuInit(0), "cuInit");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(ValueLayout.JAVA_INT);
            CudaDriver.check(CudaDriver.cuDeviceGetCount(n), "cuDeviceGetCount");
            List<DeviceProperties> out = new ArrayList<>();
            for (int i = 0; i < n.get(ValueLayout.JAVA_INT, 0); i++) {
                out.add(of(i));
            }
            return out;
        }
    }

    /** The properties of device {@code ordinal}. */
    public static DeviceProperties of(int ordinal) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment dev = a.allocate(ValueLayout.JAVA_INT);
            CudaDriver.check(CudaDriver.cuDeviceGet(dev, ordinal), "cuDeviceGet(" + ordinal + ")");
            int d = dev.get(ValueLayout.JAVA_INT, 0);
            MemorySegment name = a.allocate(256);
            CudaDriver.check(CudaDriver.cuDeviceGetName(name, 256, d), "cuDeviceGetName");
            MemorySegment total = a.allocate(ValueLayout.JAVA_LONG);
            CudaDriver.check(CudaDriver.cuDeviceTotalMem(total, d), "cuDeviceTotalMem");
            return new DeviceProperties(ordinal, name.getString(0),
                    attribute(a, d, CudaDriver.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT),
                    attribute(a, d, CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR),
                    attribute(a, d, CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR),
                    total.get(ValueLayout.JAVA_LONG, 0),
                    attribute(a, d, CudaDriver.CU_DEVICE_ATTRIBUTE_CLOCK_RATE),
                    attribute(a, d, CudaDriver.CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE),
                    attribute(a, d, CudaDriver.CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH),
                    attribute(a, d, CudaDriver.CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE));
        }
    }

    /** The driver's CUDA version as major.minor, e.g. "12.4". */
    public static String driverVersion() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ValueLayout.JAVA_INT);
            CudaDriver.check(CudaDriver.cuDriverGetVersion(v), "cuDriverGetVersion");
            int n = v.get(ValueLayout.JAVA_INT, 0);
            return n / 1000 + "." + n % 1000 / 10;
        }
    }

    private static int attribute(Arena a, int device, int attribute) {
        MemorySegment v = a.allocate(ValueLayout.JAVA_INT);
        int rc = CudaDriver.cuDeviceGetAttribute(v, attribute, device);
        // CUDA 13 drivers may no longer report clock attributes: 0 means unknown.
        return rc == CudaDriver.CUDA_SUCCESS ? v.get(ValueLayout.JAVA_INT, 0) : 0;
    }
}
