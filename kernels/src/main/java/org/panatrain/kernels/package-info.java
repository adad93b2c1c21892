/** The {@link org.panatrain.kernels.Kernels} interface: one method per op of GPT-2 training. */
package org.panatrain.kernels;
