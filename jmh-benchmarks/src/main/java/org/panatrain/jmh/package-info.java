/** JMH benchmarks: GEMM rates, kernel bandwidth, whole training steps, the planner. */
package org.panatrain.jmh;
