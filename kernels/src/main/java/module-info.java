/** The Kernels interface (one method per op) and its CPU and CUDA backends. */
module org.panatrain.kernels {
    requires transitive org.panatrain.memory;
    requires jdk.incubator.vector;
    exports org.panatrain.kernels;
    exports org.panatrain.kernels.cpu;
    exports org.panatrain.kernels.cuda;
}
