/** DTypes with bit-exact conversions, host and device arenas, tensor views, the memory planner. */
module org.panatrain.memory {
    requires transitive org.panatrain.bindings;
    exports org.panatrain.memory;
}
