/** Graph, autograd, executor, GPT-2 models, optimizers, data, trainer, checkpoints, metrics and the CLI. */
module org.panatrain.engine {
    requires transitive org.panatrain.kernels;
    requires jdk.incubator.vector; // info reports the preferred vector species
    requires jdk.unsupported; // sun.misc.Signal: Ctrl-C lets the training step finish
    exports org.panatrain.engine.checkpoint;
    exports org.panatrain.engine.cli;
    exports org.panatrain.engine.data;
    exports org.panatrain.engine.graph;
    exports org.panatrain.engine.io;
    exports org.panatrain.engine.metrics;
    exports org.panatrain.engine.model;
    exports org.panatrain.engine.optim;
    exports org.panatrain.engine.precision;
    exports org.panatrain.engine.prepare;
    exports org.panatrain.engine.sample;
    exports org.panatrain.engine.train;
}
