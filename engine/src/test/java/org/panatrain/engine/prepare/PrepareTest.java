// The prepare pipeline end to end on a small folder: every drop reason counted in the manifest
// (documents and tokens), the kept documents found again, whole and once, by decoding the shards,
// the split depending only on the seed, and GPT-2 BPE shards separated by id 50256.
package org.panatrain.engine.prepare;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panatrain.engine.io.ByteTokenizer;
import org.panatrain.engine.io.Json;
import org.panatrain.engine.io.TokenShard;

class PrepareTest {
    @TempDir
    Path tmp;

    private static String randomDocument(Random r, int words) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < words; i++) {
            s.append(i == 0 ? "" : i % 17 == 0 ? "\n" : " ").append("w").append(r.nextInt(100_000));
        }
        return s.toString();
    }

    /** Writes the corpus; returns the documents that must be kept, as cleaned text. */
    private Set<String> writeCorpus(Path in) throws IOException {
        Random r = new Random(1);
        Set<String> kept = new HashSet<>();
        Files.createDirectories(in.resolve("sub"));
        String a = randomDocument(r, 100);
        kept.add(a);
        Files.writeString(in.resolve("a.txt"), a);
        Files.writeString(in.resolve("sub/b.txt"), "\r\n" + a.replace("\n", "  \r\n").replace(" w", " \u00a0w") + "\n\n");
        List<String> words = new ArrayList<>(List.of(a.split(" ")));
        words.set(50, "changed");
        Files.writeString(in.resolve("c.txt"), String.join(" ", words));
        Files.writeString(in.resolve("d.txt"), "short\u0007 one");
        String e = randomDocument(r, 30);
        String f = randomDocument(r, 30);
        kept.add(e);
        kept.add(f);
        Files.writeString(in.resolve("e.txt"), e + "\n<|endoftext|>\n" + f + "\n");
        Files.writeString(in.resolve(".hidden.txt"), randomDocument(r, 50));
        Files.write(in.resolve("bad.bin"), new byte[] {'a', (byte) 0xC3, (byte) 0x28, 'b'});
        for (int i = 0; i < 40; i++) {
            String doc = randomDocument(r, 20 + i);
            kept.add(doc);
            Files.writeString(in.resolve(String.format("many/%02d.txt", i)), doc, StandardCharsets.UTF_8);
        }
        return kept;
    }

    private static long count(Map<?, ?> manifest, String... path) {
        Object v = manifest;
        for (String key : path) {
            v = ((Map<?, ?>) v).get(key);
        }
        return (Long) v;
    }

    /** The documents of a split, decoded from its shards (split on the end-of-text id 0). */
    private static List<String> documentsOf(Path out, Map<?, ?> split) {
        List<Integer> ids = new ArrayList<>();
        for (Object s : (List<?>) split.get("shards")) {
            Map<?, ?> shard = (Map<?, ?>) s;
            try (TokenShard t = TokenShard.open(out.resolve((String) shard.get("file")), 256)) {
                assertThat((long) t.tokenCount()).isEqualTo(shard.get("tokens"));
                for (int i = 0; i < t.tokenCount(); i++) {
                    ids.add(t.token(i));
                }
            }
        }
        List<String> docs = new ArrayList<>();
        List<Integer> current = null;
        for (int id : ids) {
            if (id == 0) {
                if (current != null) {
                    docs.add(new ByteTokenizer().decode(current.stream().mapToInt(Integer::intValue).toArray()));
                }
                current = new ArrayList<>();
            } else {
                current.add(id);
            }
        }
        if (current != null) {
            docs.add(new ByteTokenizer().decode(current.stream().mapToInt(Integer::intValue).toArray()));
        }
        return docs;
    }

    @Test
    void cleansDeduplicatesSplitsAndCountsEverything() throws IOException {
        Path in = tmp.resolve("in");
        Files.createDirectories(in.resolve("many"));
        Set<String> expected = writeCorpus(in);
        Path out = tmp.resolve("out");
        List<String> warnings = new ArrayList<>();
        PrepareConfig config = PrepareConfig.defaults(List.of(in), out, Tokenizer.bytes()).withMinChars(20)
                .withSplit(0.2, 0.2, 3).withShardTokens(1000);
        Map<String, Object> manifest = Prepare.run(config, warnings::add);

        assertThat(warnings).singleElement().asString().contains("bad.bin").contains("not UTF-8");
        assertThat(count(manifest, "inputs", "files")).isEqualTo(46);
        assertThat(count(manifest, "documents_read")).isEqualTo(46);
        assertThat(count(manifest, "dropped", "too_short", "documents")).isEqualTo(1);
        assertThat(count(manifest, "dropped", "too_short", "tokens")).isEqualTo("short one".length());
        assertThat(count(manifest, "dropped", "exact_duplicates", "documents")).isEqualTo(1);
        assertThat(count(manifest, "dropped", "near_duplicates", "documents")).isEqualTo(1);
        String a = Files.readString(in.resolve("a.txt"));
        assertThat(count(manifest, "dropped", "exact_duplicates", "tokens")).isEqualTo(a.length());
        assertThat(count(manifest, "dropped", "near_duplicates", "tokens")).isEqualTo(Files.readString(in.resolve("c.txt")).length());

        Map<?, ?> splits = (Map<?, ?>) manifest.get("splits");
        List<String> found = new ArrayList<>();
        long keptTokens = 0;
        for (String name : List.of("train", "val", "test")) {
            Map<?, ?> split = (Map<?, ?>) splits.get(name);
            List<String> docs = documentsOf(out, split);
            assertThat((long) docs.size()).isEqualTo(split.get("documents"));
            assertThat(docs).as("split %s", name).isNotEmpty();
            found.addAll(docs);
            keptTokens += (Long) split.get("tokens");
        }
        assertThat(found).hasSize(expected.size()).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(keptTokens).isEqualTo(expected.stream().mapToLong(d -> d.getBytes(StandardCharsets.UTF_8).length).sum());
        assertThat(((List<?>) ((Map<?, ?>) splits.get("train")).get("shards")).size()).isGreaterThan(1);
        assertThat(Json.parse(Files.readString(out.resolve(Prepare.MANIFEST)))).isEqualTo(manifest);

        // The same seed gives the same shards; another seed moves documents between splits.
        Map<String, Object> again = Prepare.run(new PrepareConfig(config.inputs(), tmp.resolve("again"),
                config.tokenizer(), 20, 0.2, 0.2, 3, 1000, false, 0.8), w -> { });
        assertThat(again.get("splits")).isEqualTo(manifest.get("splits"));
        assertThat(Files.readAllBytes(tmp.resolve("again/train_000000.bin"))).isEqualTo(Files.readAllBytes(out.resolve("train_000000.bin")));
        Map<String, Object> reseeded = Prepare.run(config.withSplit(0.2, 0.2, 4), w -> { });
        assertThat(reseeded.get("splits")).isNotEqualTo(manifest.get("splits"));
    }

    @Test
    void paragraphsAreDocumentsWhenAsked() throws IOException {
        Path in = tmp.resolve("p.txt");
        Files.writeString(in, "first paragraph here\nstill the first\n\n\n\nsecond paragraph\n\nfirst paragraph here\nstill the first");
        Map<String, Object> m = Prepare.run(PrepareConfig.defaults(List.of(in), tmp.resolve("o"), Tokenizer.bytes())
                .withMinChars(0).withSplit(0, 0, 1).withParagraphs(true), w -> { });
        assertThat(count(m, "documents_read")).isEqualTo(3);
        assertThat(count(m, "dropped", "exact_duplicates", "documents")).isEqualTo(1);
        assertThat(documentsOf(tmp.resolve("o"), (Map<?, ?>) ((Map<?, ?>) m.get("splits")).get("train")))
                .containsExactly("first paragraph here\nstill the first", "second paragraph");
    }

    @Test
    void gpt2ShardsSeparateDocumentsWithEndOfText() throws Exception {
        Path dir = Path.of(PrepareTest.class.getResource("/gpt2-bpe/vocab.json").toURI()).getParent();
        Gpt2Bpe bpe = Gpt2Bpe.load(dir.resolve("vocab.json"), dir.resolve("merges.txt"));
        Path in = tmp.resolve("t.txt");
        Files.writeString(in, "Hello world\n<|endoftext|>\nHello, world!");
        Prepare.run(PrepareConfig.defaults(List.of(in), tmp.resolve("g"), bpe).withMinChars(0).withSplit(0, 0, 1), w -> { });
        try (TokenShard t = TokenShard.open(tmp.resolve("g/train_000000.bin"), 50257)) {
            int[] ids = new int[t.tokenCount()];
            t.read(0, ids);
            // gpt-3-encoder: "Hello world" = 15496 995, "Hello, world!" = 15496 11 995 0.
            assertThat(ids).containsExactly(50256, 15496, 995, 50256, 15496, 11, 995, 0);
        }
    }
}
