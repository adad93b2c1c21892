// Reading a safetensors file: memory-maps it, checks the header and the data layout by the
// format's rules before anything is handed out, then gives tensor views of the mapped bytes.
// Leaves out the mapping of model names (the model does it) and dtypes Panatrain has no use for.
package org.panatrain.engine.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

/**
 * A validated, memory-mapped safetensors file. Layout: an unsigned little-endian 64-bit header
 * length n, n bytes of UTF-8 JSON naming each tensor's dtype, shape and [begin, end) byte
 * offsets into the data that follows, then the data: little-endian elements, no alignment
 * promised. Tensor views stay valid until {@link #close()}; using one after that throws.
 *
 * <pre>{@code
 * try (SafetensorsFile f = SafetensorsFile.open(path)) {
 *     String layers = f.metadata().get("n_layer");
 *     Tensor wte = f.require("wte.weight", DType.FP32, V, C);   // (V, C)
 * }
 * }</pre>
 */
public final class SafetensorsFile implements AutoCloseable {
    /** The largest header accepted, as in the reference implementation. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    static final String METADATA_KEY = "__metadata__";

    /** One tensor of the header: byte offsets are relative to the start of the data. */
    public record Entry(String name, DType dtype, int[] shape, long begin, long end) {
        public Entry {
            shape = shape.clone();
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }

        public long byteSize() {
            return end - begin;
        }
    }

    private final Path file;
    private final Arena arena;
    private final MemorySegment data; // the bytes after the header
    private final Map<String, String> metadata;
    private final Map<String, Entry> entries; // in header order

    private SafetensorsFile(Path file, Arena arena, MemorySegment data, Map<String, String> metadata,
            Map<String, Entry> entries) {
        this.file = file;
        this.arena = arena;
        this.data = data;
        this.metadata = metadata;
        this.entries = entries;
    }

    /** Maps and validates {@code file}; any rule broken is a {@link BadInputException}. */
    public static SafetensorsFile open(Path file) {
        // Shared: the CPU backend's worker threads read weights straight from the mapping.
        Arena arena = Arena.ofShared();
        try {
            MemorySegment bytes;
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                bytes = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            }
            if (bytes.byteSize() < 8) {
                throw new BadInputException(file, "file of " + bytes.byteSize()
                        + " bytes is too short for the 8-byte header length");
            }
            long headerBytes = bytes.get(U64, 0);
            if (Long.compareUnsigned(headerBytes, MAX_HEADER_BYTES) > 0) {
                throw new BadInputException(file, "header length " + Long.toUnsignedString(headerBytes)
                        + " is larger than the limit of " + MAX_HEADER_BYTES + " bytes");
            }
            if (8 + headerBytes > bytes.byteSize()) {
                throw new BadInputException(file, "header of " + headerBytes + " bytes runs past the end of the "
                        + bytes.byteSize() + "-byte file");
            }
            Object header = parseHeader(file, utf8(file, bytes.asSlice(8, headerBytes)));
            if (!(header instanceof Map<?, ?> map)) {
                throw new BadInputException(file, "header is not a JSON object");
            }
            MemorySegment data = bytes.asSlice(8 + headerBytes);
            Map<String, String> metadata = Map.of();
            Map<String, Entry> entries = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                String name = (String) e.getKey();
                if (name.equals(METADATA_KEY)) {
                    metadata = metadata(file, e.getValue());
                } else {
                    entries.put(name, entry(file, name, e.getValue(), data.byteSize()));
                }
            }
            checkTiling(file, entries.values(), data.byteSize());
            return new SafetensorsFile(file, arena, data, metadata, Collections.unmodifiableMap(entries));
        } catch (IOException e) {
            arena.close();
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static String utf8(Path file, MemorySegment bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes.asByteBuffer())
                    .toString();
        } catch (CharacterCodingException e) {
            throw new BadInputException(file, "header is not valid UTF-8", e);
        }
    }

    private static Object parseHeader(Path file, String json) {
        try {
            return Json.parse(json);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(file, "header is not valid JSON: " + e.getMessage(), e);
        }
    }

    private static Map<String, String> metadata(Path file, Object value) {
        if (!(value instanceof Map<?, ?> map)) {
            throw new BadInputException(file, METADATA_KEY + " is not an object of strings");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw new BadInputException(file, METADATA_KEY + " value of " + Json.quote((String) e.getKey())
                        + " is not a string");
            }
            out.put((String) e.getKey(), s);
        }
        return Collections.unmodifiableMap(out);
    }

    /** One header entry, checked on its own: fields, dtype, shape, offsets within the data. */
    private static Entry entry(Path file, String name, Object value, long dataBytes) {
        String tensor = "tensor " + Json.quote(name);
        // Other keys are ignored, as the reference reader ignores them.
        if (!(value instanceof Map<?, ?> fields) || !(fields.get("dtype") instanceof String dtypeName)
                || !(fields.get("shape") instanceof List<?> shapeList)
                || !(fields.get("data_offsets") instanceof List<?> offsets)) {
            throw new BadInputException(file, tensor + " is not an object with dtype, shape and data_offsets");
        }
        DType dtype;
        try {
            dtype = DType.fromSafetensors(dtypeName);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(file, tensor + " has an unknown dtype " + Json.quote(dtypeName));
        }
        int[] shape = new int[shapeList.size()];
        for (int i = 0; i < shape.length; i++) {
            Object d = shapeList.get(i);
            if (!(d instanceof Long l) || l < 0 || l > Integer.MAX_VALUE) {
                throw new BadInputException(file, tensor + " has shape entry " + d
                        + ", not a non-negative integer of at most " + Integer.MAX_VALUE);
            }
            shape[i] = (int) (long) l;
        }
        if (offsets.size() != 2 || !(offsets.get(0) instanceof Long begin) || !(offsets.get(1) instanceof Long end)
                || begin < 0 || end < begin) {
            throw new BadInputException(file, tensor + " has data_offsets " + offsets
                    + ", not two integers 0 <= begin <= end");
        }
        long need;
        try {
            need = Math.multiplyExact(Tensor.numel(shape), (long) dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new BadInputException(file, tensor + " of shape " + Arrays.toString(shape)
                    + " has more bytes than a long can count");
        }
        if (end - begin != need) {
            throw new BadInputException(file, tensor + " has " + (end - begin) + " bytes but " + dtypeName
                    + Arrays.toString(shape) + " needs " + need);
        }
        if (end > dataBytes) {
            throw new BadInputException(file, tensor + " ends at data offset " + end + ", past the "
                    + dataBytes + " bytes of data");
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /** Sorted by begin, the tensors must cover [0, dataBytes) exactly: no hole, no overlap, no trailing bytes. */
    private static void checkTiling(Path file, Iterable<Entry> entries, long dataBytes) {
        List<Entry> sorted = new ArrayList<>();
        entries.forEach(sorted::add);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long covered = 0;
        String previous = null;
        for (Entry e : sorted) {
            if (e.begin() < covered) {
                throw new BadInputException(file, "tensor " + Json.quote(e.name()) + " at data offsets [" + e.begin()
                        + ", " + e.end() + ") overlaps tensor " + Json.quote(previous));
            }
            if (e.begin() > covered) {
                throw new BadInputException(file, "data bytes [" + covered + ", " + e.begin()
                        + ") belong to no tensor (a hole before tensor " + Json.quote(e.name()) + ")");
            }
            covered = e.end();
            previous = e.name();
        }
        if (covered != dataBytes) {
            throw new BadInputException(file, (dataBytes - covered) + " trailing bytes after the last tensor (data has "
                    + dataBytes + " bytes, tensors cover " + covered + ")");
        }
    }

    /** The file this was read from. */
    public Path file() {
        return file;
    }

    /** The {@code __metadata__} map (empty when the file has none). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Tensor names in header order. */
    public List<String> names() {
        return List.copyOf(entries.keySet());
    }

    /** Whether the file has a tensor called {@code name}. */
    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    /** The header entry of {@code name}; a missing tensor is a {@link BadInputException}. */
    public Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new BadInputException(file, "missing tensor " + name);
        }
        return e;
    }

    /** A host tensor over the mapped bytes of {@code name} (read-only). */
    public Tensor tensor(String name) {
        Entry e = entry(name);
        return Tensor.host(data.asSlice(e.begin(), e.byteSize()), e.dtype(), e.shape());
    }

    /**
     * The tensor {@code name}, which must have {@code dtype} and {@code shape}; otherwise a
     * {@link BadInputException} saying what the file has and what is needed.
     */
    public Tensor require(String name, DType dtype, int... shape) {
        Entry e = entry(name);
        if (!Arrays.equals(e.shape(), shape)) {
            throw new BadInputException(file, "tensor " + name + " has shape " + Arrays.toString(e.shape())
                    + " but the config needs " + Arrays.toString(shape));
        }
        if (e.dtype() != dtype) {
            throw new BadInputException(file, "tensor " + name + " has dtype " + e.dtype().safetensorsName()
                    + " but " + dtype.safetensorsName() + " is needed");
        }
        return tensor(name);
    }

    /** Unmaps the file; tensor views taken from it throw from now on. */
    @Override
    public void close() {
        arena.close();
    }
}
