/** The CPU backend: multi-threaded Vector API kernels, the reference for every other backend. */
package org.panatrain.kernels.cpu;
