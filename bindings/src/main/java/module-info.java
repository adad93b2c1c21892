/** FFM bindings for the CUDA driver API and cuBLASLt: downcalls and library discovery only, no policy. */
module org.panatrain.bindings {
    exports org.panatrain.bindings;
}
