/** Input and output files: safetensors, llm.c token shards, JSON, the byte tokenizer, and BadInputException. */
package org.panatrain.engine.io;
