// GPT-2's byte-level BPE, encoding exactly as OpenAI's encoder.py: the text is cut by GPT-2's
// pre-tokenizer regex, each piece's UTF-8 bytes are mapped to printable characters by GPT-2's
// byte-to-unicode table, and adjacent symbols are merged by merge rank (lowest first) until no
// ranked pair remains; results are cached per piece. Leaves out special tokens inside the text
// ("<|endoftext|>" in a document is encoded as ordinary characters) and added vocabulary.
package org.panatrain.engine.prepare;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.panatrain.engine.io.BadInputException;
import org.panatrain.engine.io.Json;

/**
 * A GPT-2 tokenizer from Hugging Face's {@code vocab.json} + {@code merges.txt} (the same
 * content as OpenAI's {@code encoder.json} + {@code vocab.bpe}).
 *
 * <pre>{@code
 * Gpt2Bpe bpe = Gpt2Bpe.load(Path.of("vocab.json"), Path.of("merges.txt"));
 * int[] ids = bpe.encode("Hello world");   // {15496, 995}
 * String text = bpe.decode(ids);           // "Hello world"
 * }</pre>
 */
public final class Gpt2Bpe implements Tokenizer {
    /** GPT-2's pre-tokenizer; \s, \p{L}, \p{N} with their Unicode meanings. */
    static final Pattern PRE_TOKENIZER = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);
    /** The end-of-text token's string in the vocabulary. */
    public static final String END_OF_TEXT = "<|endoftext|>";
    /** Pieces cached before the cache is emptied (bounds its memory on endless text). */
    private static final int CACHE_LIMIT = 1 << 17;

    private static final char[] BYTE_TO_CHAR = byteToUnicode();
    private static final int[] CHAR_TO_BYTE = inverse(BYTE_TO_CHAR);

    private final Map<String, Integer> encoder;
    private final String[] decoder;         // id -> symbol string
    private final Map<String, Integer> ranks; // "first second" -> merge rank
    private final int endOfText;
    private final Map<String, int[]> cache = new HashMap<>();

    private Gpt2Bpe(Map<String, Integer> encoder, Map<String, Integer> ranks) {
        this.encoder = encoder;
        this.ranks = ranks;
        int size = encoder.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        this.decoder = new String[size];
        encoder.forEach((symbol, id) -> decoder[id] = symbol);
        this.endOfText = encoder.getOrDefault(END_OF_TEXT, -1);
    }

    /**
     * Reads a vocabulary (JSON object symbol -> id) and a merge list (an optional "#version"
     * line, then one "first second" pair per line, in rank order).
     *
     * @throws BadInputException naming the file and what is wrong
     */
    public static Gpt2Bpe load(Path vocabJson, Path mergesTxt) {
        Map<String, Integer> encoder = new HashMap<>();
        if (!(Json.parse(vocabJson, read(vocabJson)) instanceof Map<?, ?> vocab)) {
            throw new BadInputException(vocabJson, "is not a JSON object of symbol -> id");
        }
        for (Map.Entry<?, ?> e : vocab.entrySet()) {
            if (!(e.getValue() instanceof Long id) || id < 0 || id > 0xFFFF) {
                throw new BadInputException(vocabJson, "id of " + Json.quote((String) e.getKey()) + " is "
                        + e.getValue() + ", not an integer in [0, 65535] (shards store ids as uint16)");
            }
            encoder.put((String) e.getKey(), id.intValue());
        }
        if (!encoder.containsKey(END_OF_TEXT)) {
            throw new BadInputException(vocabJson, "has no " + END_OF_TEXT + " token");
        }
        for (char c : BYTE_TO_CHAR) {
            if (!encoder.containsKey(String.valueOf(c))) {
                throw new BadInputException(vocabJson, "lacks the single-byte symbol " + Json.quote(String.valueOf(c))
                        + " (not a byte-level BPE vocabulary)");
            }
        }
        Map<String, Integer> ranks = new HashMap<>();
        String[] lines = read(mergesTxt).split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || (i == 0 && line.startsWith("#version"))) {
                continue;
            }
            String[] pair = line.split(" ");
            if (pair.length != 2) {
                throw new BadInputException(mergesTxt, "line " + (i + 1) + " is not two symbols separated by a space");
            }
            ranks.putIfAbsent(pair[0] + " " + pair[1], ranks.size());
        }
        return new Gpt2Bpe(encoder, ranks);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new BadInputException(file, "cannot read: " + e.getMessage(), e);
        }
    }

    /** GPT-2's table: printable bytes map to themselves, the others to U+0100 and up, in byte order. */
    private static char[] byteToUnicode() {
        char[] table = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            table[b] = (char) (printable ? b : next++);
        }
        return table;
    }

    private static int[] inverse(char[] byteToChar) {
        int[] inverse = new int[512];
        Arrays.fill(inverse, -1);
        for (int b = 0; b < 256; b++) {
            inverse[byteToChar[b]] = b;
        }
        return inverse;
    }

    @Override
    public int[] encode(String text) {
        List<int[]> parts = new ArrayList<>();
        int count = 0;
        Matcher m = PRE_TOKENIZER.matcher(text);
        while (m.find()) {
            int[] ids = encodePiece(m.group());
            parts.add(ids);
            count += ids.length;
        }
        int[] out = new int[count];
        int at = 0;
        for (int[] ids : parts) {
            System.arraycopy(ids, 0, out, at, ids.length);
            at += ids.length;
        }
        return out;
    }

    /** The ids of one pre-token, from the cache or by BPE. */
    private int[] encodePiece(String piece) {
        int[] cached = cache.get(piece);
        if (cached != null) {
            return cached;
        }
        byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
        List<String> word = new ArrayList<>(bytes.length);
        for (byte b : bytes) {
            word.add(String.valueOf(BYTE_TO_CHAR[b & 0xFF]));
        }
        merge(word);
        int[] ids = new int[word.size()];
        for (int i = 0; i < ids.length; i++) {
            Integer id = encoder.get(word.get(i));
            if (id == null) {
                throw new IllegalStateException("merged symbol " + Json.quote(word.get(i)) + " is not in the vocabulary");
            }
            ids[i] = id;
        }
        if (cache.size() >= CACHE_LIMIT) {
            cache.clear();
        }
        cache.put(piece, ids);
        return ids;
    }

    /** Merges the lowest-ranked adjacent pair, all its occurrences left to right, until none is ranked. */
    private void merge(List<String> word) {
        while (word.size() > 1) {
            int best = Integer.MAX_VALUE;
            String first = null;
            String second = null;
            for (int i = 0; i + 1 < word.size(); i++) {
                Integer rank = ranks.get(word.get(i) + " " + word.get(i + 1));
                if (rank != null && rank < best) {
                    best = rank;
                    first = word.get(i);
                    second = word.get(i + 1);
                }
            }
            if (first == null) {
                return;
            }
            List<String> merged = new ArrayList<>(word.size());
            for (int i = 0; i < word.size(); i++) {
                if (i + 1 < word.size() && word.get(i).equals(first) && word.get(i + 1).equals(second)) {
                    merged.add(first + second);
                    i++;
                } else {
                    merged.add(word.get(i));
                }
            }
            word.clear();
            word.addAll(merged);
        }
    }

    /** The text of {@code ids}; byte sequences that are not UTF-8 become U+FFFD. */
    public String decode(int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : ids) {
            if (id < 0 || id >= decoder.length || decoder[id] == null) {
                throw new IllegalArgumentException("token id " + id + " is not in the vocabulary");
            }
            for (int i = 0; i < decoder[id].length(); i++) {
                char c = decoder[id].charAt(i);
                int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
                if (b < 0) {
                    throw new IllegalArgumentException("symbol " + Json.quote(decoder[id]) + " of token id " + id
                            + " is not made of byte characters");
                }
                bytes.write(b);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Override
    public int vocabSize() {
        return decoder.length;
    }

    @Override
    public int endOfText() {
        return endOfText;
    }

    @Override
    public String name() {
        return "gpt2-bpe";
    }
}
