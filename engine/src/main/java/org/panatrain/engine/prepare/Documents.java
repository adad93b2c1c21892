// Cutting a cleaned file into documents. A file is one document, except that a line holding only
// "<|endoftext|>" separates documents (the convention of concatenated corpora), and with the
// paragraph rule every blank line does too. Leaves out format-aware splitting (JSONL, HTML).
package org.panatrain.engine.prepare;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** The documents of one cleaned text. */
final class Documents {
    /** A separator line; the cleaner has made every line end with LF and dropped trailing spaces. */
    private static final Pattern SEPARATOR = Pattern.compile("(?m)^[ \\t]*<\\|endoftext\\|>$");
    private static final Pattern BLANK_LINE = Pattern.compile("\n\n");

    private Documents() {
    }

    /** The non-empty documents of {@code cleaned}, stripped of leading and trailing line breaks. */
    static List<String> split(String cleaned, boolean paragraphs) {
        List<String> out = new ArrayList<>();
        for (String part : SEPARATOR.split(cleaned)) {
            for (String doc : paragraphs ? BLANK_LINE.split(part) : new String[] {part}) {
                String trimmed = stripLineBreaks(doc);
                if (!trimmed.isEmpty()) {
                    out.add(trimmed);
                }
            }
        }
        return out;
    }

    private static String stripLineBreaks(String s) {
        int from = 0;
        int to = s.length();
        while (from < to && s.charAt(from) == '\n') {
            from++;
        }
        while (to > from && s.charAt(to - 1) == '\n') {
            to--;
        }
        return s.substring(from, to);
    }
}
