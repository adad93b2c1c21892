/** DTypes with bit-exact conversions, host and device arenas, tensor views and the memory planner. */
package org.panatrain.memory;
