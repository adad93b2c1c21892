/** Graph, autograd, executor, GPT-2 models, optimizers, data, trainer, checkpoints, metrics and the CLI. */
module org.panatrain.engine {
    requires transitive org.panatrain.kernels;
    exports org.panatrain.engine.graph;
    exports org.panatrain.engine.io;
    exports org.panatrain.engine.model;
    exports org.panatrain.engine.optim;
    exports org.panatrain.engine.precision;
}
