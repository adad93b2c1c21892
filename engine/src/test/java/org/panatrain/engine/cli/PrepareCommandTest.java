// `prepare` through Main on a folder written here: the manifest's counts (files, documents read,
// too short, exact and near duplicates, kept documents and tokens) against what the test put in,
// the shards' content decoded back to exactly the kept documents, GPT-2 BPE ids against the
// gpt-3-encoder reference, training on the prepared folder (its test split's loss checked against
// the saved model evaluated here), and one-line errors for bad input.
package org.panatrain.engine.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panatrain.engine.cli.MainTest.Outcome;
import org.panatrain.engine.io.Json;
import org.panatrain.engine.io.TokenShard;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Step;
import org.panatrain.kernels.cpu.CpuKernels;

class PrepareCommandTest {
    private static final String TINY = "{\"n_layer\": 1, \"n_head\": 2, \"n_embd\": 16, \"n_positions\": 16, \"vocab_size\": 256}";
    private static final String[] WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima "
            + "mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu").split(" ");

    @TempDir
    Path dir;

    /** One line of {@code n} random words: already clean (ASCII, single spaces, no line break). */
    private static String document(Random random, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : " ").append(WORDS[random.nextInt(WORDS.length)]);
        }
        return sb.toString();
    }

    @Test
    void manifestCountsWhatWasPutInAndTheShardsHoldTheKeptDocuments() throws Exception {
        Random random = new Random(42);
        Path corpus = Files.createDirectories(dir.resolve("corpus"));
        List<String> kept = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            String doc = document(random, 60 + i);
            kept.add(doc);
            Files.writeString(corpus.resolve("a-doc" + i + ".txt"), doc + "\n");
        }
        // Processed after the originals (path order): an exact duplicate once cleaned (CR LF,
        // trailing spaces, blank lines around) and a near duplicate (the last of 62 words changed:
        // word 5-gram Jaccard similarity 57/59, far above the 0.8 threshold).
        Files.writeString(corpus.resolve("z-copy.txt"), "\r\n\r\n" + kept.get(3) + "   \r\n\r\n");
        String original = kept.get(2);
        String near = original.substring(0, original.lastIndexOf(' ')) + " different";
        Files.writeString(corpus.resolve("z-near.txt"), near);
        String tooShort = "alpha bravo charlie";                                     // 19 < --min-chars 40
        Files.writeString(corpus.resolve("short.txt"), tooShort);
        Files.write(corpus.resolve("latin1.txt"), "caf\u00e9".getBytes(StandardCharsets.ISO_8859_1)); // not UTF-8
        Files.writeString(corpus.resolve(".hidden.txt"), document(random, 70));      // skipped: hidden
        String extra = document(random, 65);                                         // a second INPUT
        kept.add(extra);
        Path extraFile = dir.resolve("extra.txt");
        Files.writeString(extraFile, extra);
        Path out = dir.resolve("prepared");

        Outcome o = MainTest.run("prepare", corpus.toString(), extraFile.toString(), "--out", out.toString(),
                "--min-chars", "40", "--val-fraction", "0.2", "--test-fraction", "0.2", "--seed", "3",
                "--shard-tokens", "500", "--json");
        assertThat(o.status()).as(o.err()).isZero();
        Map<?, ?> m = (Map<?, ?>) Json.parse(o.lastOutLine());
        assertThat(Json.parse(Files.readString(out.resolve("manifest.json")))).isEqualTo(m);
        assertThat(o.err()).contains("dropped near duplicates: 1 documents");

        Map<?, ?> inputs = (Map<?, ?>) m.get("inputs");
        assertThat(inputs.get("files")).isEqualTo(15L); // 10 + copy + near + short + latin1 + extra
        assertThat((List<?>) inputs.get("skipped_not_utf8")).singleElement().asString().endsWith("latin1.txt");
        assertThat(m.get("documents_read")).isEqualTo(14L);
        assertThat(m.get("tokenizer")).isEqualTo("byte");
        Map<?, ?> dropped = (Map<?, ?>) m.get("dropped");
        assertThat(dropped.get("too_short")).isEqualTo(Map.of("documents", 1L, "tokens", (long) tooShort.length()));
        assertThat(dropped.get("exact_duplicates")).isEqualTo(Map.of("documents", 1L, "tokens", (long) kept.get(3).length()));
        assertThat(dropped.get("near_duplicates")).isEqualTo(Map.of("documents", 1L, "tokens", (long) near.length()));

        // Every split's shards, decoded: end-of-text (0) then the document's bytes, for each kept document.
        Map<?, ?> splits = (Map<?, ?>) m.get("splits");
        List<String> found = new ArrayList<>();
        long documents = 0;
        long tokens = 0;
        int shardFiles = 0;
        for (String split : List.of("train", "val", "test")) {
            Map<?, ?> s = (Map<?, ?>) splits.get(split);
            assertThat((Long) s.get("documents")).as("documents in %s", split).isPositive();
            documents += (Long) s.get("documents");
            tokens += (Long) s.get("tokens");
            int[] all = splitTokens(out, split);
            assertThat(all.length).isEqualTo((Long) s.get("tokens") + (Long) s.get("documents"));
            shardFiles += ((List<?>) s.get("shards")).size();
            found.addAll(decodeDocuments(all));
        }
        assertThat(documents).isEqualTo(kept.size());
        assertThat(tokens).isEqualTo(kept.stream().mapToLong(String::length).sum());
        assertThat(found).containsExactlyInAnyOrderElementsOf(kept);
        assertThat(shardFiles).isGreaterThanOrEqualTo((int) (tokens / 500));
    }

    @Test
    void trainsOnThePreparedFolderAndReportsTheTestSplitsLoss() throws Exception {
        Random random = new Random(9);
        Path corpus = Files.createDirectories(dir.resolve("corpus"));
        for (int i = 0; i < 12; i++) {
            Files.writeString(corpus.resolve("doc" + i + ".txt"), document(random, 40));
        }
        Path out = dir.resolve("prepared");
        Outcome prepared = MainTest.run("prepare", corpus.toString(), "--out", out.toString(), "--val-fraction", "0.25",
                "--test-fraction", "0.25", "--shard-tokens", "300");
        assertThat(prepared.status()).as(prepared.err()).isZero();
        assertThat(prepared.out()).contains("kept train", "kept val", "kept test", "manifest.json");

        Path config = dir.resolve("tiny.json");
        Files.writeString(config, TINY);
        Path saved = dir.resolve("final.safetensors");
        Outcome o = MainTest.run("train", "--config", config.toString(), "--data", out.toString(), "--steps", "3",
                "--batch", "2", "--seq", "8", "--device", "cpu", "--threads", "1", "--save", saved.toString(), "--json");
        assertThat(o.status()).as(o.err()).isZero();
        Map<?, ?> result = (Map<?, ?>) Json.parse(o.lastOutLine());
        assertThat(result.get("val_loss")).isNotNull();
        double testLoss = ((Number) result.get("test_loss")).doubleValue();

        // The test split, joined here from its shards, cut into every B x T batch that fits.
        int B = 2;
        int T = 8;
        int[] test = splitTokens(out, "test");
        int batches = (test.length - 1) / (B * T);
        assertThat(batches).isPositive();
        double expected = 0;
        try (CpuKernels k = CpuKernels.create(1); Gpt2 model = Gpt2.load(saved, k); Gpt2Step step = model.newStep(B, T)) {
            for (int b = 0; b < batches; b++) {
                int[] in = Arrays.copyOfRange(test, b * B * T, (b + 1) * B * T);
                int[] tg = Arrays.copyOfRange(test, b * B * T + 1, (b + 1) * B * T + 1);
                expected += step.loss(in, tg) / batches;
            }
        }
        assertThat(testLoss).isCloseTo(expected, within(1e-5));

        Outcome eval = MainTest.run("eval", "--weights", saved.toString(), "--data", out.toString(), "--batch", "2",
                "--seq", "8", "--device", "cpu", "--json");
        assertThat(eval.status()).as(eval.err()).isZero();
        assertThat(((Number) ((Map<?, ?>) Json.parse(eval.lastOutLine())).get("loss")).doubleValue())
                .isCloseTo(expected, within(1e-5));
    }

    @Test
    void gpt2TokenizerWritesTheReferenceIds() throws Exception {
        Path bpe = Path.of(PrepareCommandTest.class.getResource("/gpt2-bpe/vocab.json").toURI()).getParent();
        Path reference = bpe.resolve("reference_ids.json");
        // A case the cleaner leaves as it is: printable ASCII words separated by single spaces.
        Map<?, ?> c = ((List<?>) Json.parse(reference, Files.readString(reference))).stream().map(x -> (Map<?, ?>) x)
                .filter(x -> ((String) x.get("text")).matches("[!-~]+( [!-~]+)*") && ((String) x.get("text")).length() > 40)
                .findFirst().orElseThrow();
        Path text = dir.resolve("one.txt");
        Files.writeString(text, (String) c.get("text"));
        Path out = dir.resolve("prepared");
        Outcome o = MainTest.run("prepare", text.toString(), "--out", out.toString(), "--tokenizer", "gpt2",
                "--vocab", bpe.resolve("vocab.json").toString(), "--merges", bpe.resolve("merges.txt").toString(),
                "--min-chars", "0", "--val-fraction", "0", "--test-fraction", "0", "--json");
        assertThat(o.status()).as(o.err()).isZero();
        Map<?, ?> m = (Map<?, ?>) Json.parse(o.lastOutLine());
        assertThat(m.get("tokenizer")).isEqualTo("gpt2-bpe");
        assertThat(m.get("vocab_size")).isEqualTo(50257L);
        int[] expected = IntStream.concat(IntStream.of(50256),
                ((List<?>) c.get("ids")).stream().mapToInt(id -> ((Long) id).intValue())).toArray();
        assertThat(splitTokens(out, "train")).containsExactly(expected);

        Path config = dir.resolve("tiny.json");
        Files.writeString(config, TINY);
        Outcome train = MainTest.run("train", "--config", config.toString(), "--data", out.toString(), "--steps", "1",
                "--batch", "1", "--seq", "4", "--device", "cpu");
        assertThat(train.status()).isEqualTo(2);
        assertThat(train.errLines()).singleElement().asString().isEqualTo("panatrain train: " + out
                + ": was prepared with the gpt2-bpe tokenizer (vocab_size 50257), more than the model's vocab_size 256");
    }

    @Test
    void badInputExitsWithTwoAndOneLine() throws Exception {
        Path text = dir.resolve("a.txt");
        Files.writeString(text, "some text");
        Path out = dir.resolve("out");
        Path missing = dir.resolve("missing.txt");
        assertOneLine(MainTest.run("prepare", "--out", out.toString()), "give the text files or folders");
        assertOneLine(MainTest.run("prepare", text.toString()), "--out is required");
        assertOneLine(MainTest.run("prepare", missing.toString(), "--out", out.toString()),
                missing + ": no such file or folder");
        assertOneLine(MainTest.run("prepare", text.toString(), "--out", out.toString(), "--tokenizer", "gpt2"),
                "--tokenizer gpt2 needs --vocab vocab.json and --merges merges.txt");
        assertOneLine(MainTest.run("prepare", text.toString(), "--out", out.toString(), "--vocab", "v.json"),
                "--vocab and --merges go with --tokenizer gpt2");
        assertOneLine(MainTest.run("prepare", text.toString(), "--out", out.toString(), "--val-fraction", "0.6",
                "--test-fraction", "0.5"), "sum to less than 1");
        assertOneLine(MainTest.run("prepare", text.toString(), "--out", out.toString(), "--near-dup-threshold", "0"),
                "near-duplicate threshold must be in (0, 1]");
        assertOneLine(MainTest.run("prepare", text.toString(), "--out", out.toString(), "--tokenizer", "gpt2",
                "--vocab", missing.toString(), "--merges", missing.toString()), missing + ": no such file");
        assertThat(MainTest.run("help", "prepare").out()).contains("usage: panatrain prepare [options] INPUT...");
    }

    private static void assertOneLine(Outcome o, String part) {
        assertThat(o.status()).as(o.err()).isEqualTo(2);
        assertThat(o.errLines()).singleElement().asString().startsWith("panatrain prepare: ").contains(part);
    }

    /** The tokens of a split's shards (named as prepare names them), in order. */
    private static int[] splitTokens(Path out, String split) throws Exception {
        List<Path> shards;
        try (var files = Files.list(out)) {
            shards = files.filter(p -> p.getFileName().toString().matches(split + "_\\d{6}\\.bin")).sorted().toList();
        }
        IntStream all = IntStream.empty();
        for (Path shard : shards) {
            try (TokenShard s = TokenShard.open(shard, 1 << 16)) {
                int[] tokens = new int[s.tokenCount()];
                s.read(0, tokens);
                all = IntStream.concat(all, IntStream.of(tokens));
            }
        }
        return all.toArray();
    }

    /** Byte-level shard tokens -> the documents: each starts with the end-of-text id 0. */
    private static List<String> decodeDocuments(int[] tokens) {
        List<String> docs = new ArrayList<>();
        int at = 0;
        while (at < tokens.length) {
            assertThat(tokens[at]).as("end-of-text before each document").isZero();
            int end = at + 1;
            while (end < tokens.length && tokens[end] != 0) {
                end++;
            }
            byte[] bytes = new byte[end - at - 1];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = (byte) tokens[at + 1 + i];
            }
            docs.add(new String(bytes, StandardCharsets.UTF_8));
            at = end;
        }
        return docs;
    }
}
