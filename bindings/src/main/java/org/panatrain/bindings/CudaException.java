// The one exception every failed CUDA driver or cuBLASLt call becomes: it names the call, the
// status's name and its message, so a log line alone says what went wrong.
package org.panatrain.bindings;

/**
 * A CUDA driver or cuBLASLt call that returned an error status.
 *
 * <pre>{@code
 * try { ... } catch (CudaException e) {
 *     System.err.println(e.call() + " failed: " + e.statusName());
 * }
 * }</pre>
 */
public final class CudaException extends RuntimeException {
    private final String call;
    private final int status;
    private final String statusName;

    public CudaException(String call, int status, String statusName, String message) {
        super(call + " failed: " + statusName + " (" + status + "): " + message);
        this.call = call;
        this.status = status;
        this.statusName = statusName;
    }

    /** The C function and, where useful, its arguments, e.g. {@code cuMemAlloc(1073741824)}. */
    public String call() {
        return call;
    }

    /** The numeric status (CUresult or cublasStatus_t). */
    public int status() {
        return status;
    }

    /** The status's symbolic name, e.g. {@code CUDA_ERROR_OUT_OF_MEMORY}. */
    public String statusName() {
        return statusName;
    }
}
