// What `panatrain info` reports about CUDA: availability and where the libraries were looked
// for, the driver's and cuBLASLt's versions, and each device with its peak rates. Never throws
// for a missing driver: that is an answer. It leaves out printing (the CLI formats it).
package org.panatrain.kernels.cuda;

import java.util.ArrayList;
import java.util.List;
import org.panatrain.bindings.Cuda;
import org.panatrain.bindings.CublasLt;
import org.panatrain.bindings.DeviceProperties;

/**
 * A snapshot of the CUDA installation.
 *
 * <pre>{@code
 * CudaInfo info = CudaInfo.query();
 * if (info.availability().available()) {
 *     info.devices().forEach(d -> System.out.println(d.properties().name() + " " + d.peak().tflops()));
 * }
 * }</pre>
 *
 * @param availability    whether CUDA is usable and why not
 * @param driverVersion   CUDA version the driver supports, e.g. "12.4", or null
 * @param cublasLtVersion e.g. "12.4.5", or null when cuBLASLt is absent
 * @param devices         every device, with its peak rates
 */
public record CudaInfo(Cuda.Availability availability, String driverVersion, String cublasLtVersion, List<Device> devices) {

    /** One device and its peak rates. */
    public record Device(DeviceProperties properties, PeakRates.Rates peak) {
    }

    public CudaInfo {
        devices = List.copyOf(devices);
    }

    /** Probes the installation (cheap: no context is created). */
    public static CudaInfo query() {
        Cuda.Availability a = Cuda.availability();
        if (!a.available()) {
            return new CudaInfo(a, null, null, List.of());
        }
        List<Device> devices = new ArrayList<>();
        for (DeviceProperties p : DeviceProperties.all()) {
            devices.add(new Device(p, PeakRates.of(p)));
        }
        String lt = null;
        if (a.cublasLtAvailable()) {
            long v = CublasLt.cublasLtGetVersion(); // major*10000 + minor*100 + patch
            lt = v / 10000 + "." + v / 100 % 100 + "." + v % 100;
        }
        return new CudaInfo(a, DeviceProperties.driverVersion(), lt, devices);
    }
}
