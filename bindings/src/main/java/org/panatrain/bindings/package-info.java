/** FFM downcalls for the CUDA driver API and cuBLASLt, and library discovery. */
package org.panatrain.bindings;
