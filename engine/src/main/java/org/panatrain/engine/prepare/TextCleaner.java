// Text cleaning before deduplication and tokenization. The rules, in order: Unicode NFC; CR LF
// and lone CR become LF; control characters (category Cc) are dropped except LF and TAB; every
// space separator (category Zs: no-break space, em space, ...) becomes a plain space; inside a
// line, a run of spaces and tabs after the indentation becomes one space and trailing ones go;
// more than one blank line in a row becomes one blank line; blank lines at the start and end go.
// Leaves out language-specific rules, HTML stripping and quality filtering.
package org.panatrain.engine.prepare;

import java.text.Normalizer;

/**
 * The cleaner of {@code prepare}.
 *
 * <pre>{@code
 * String clean = TextCleaner.clean("Cafe\u0301\r\n\r\n\r\n  a  \u00a0 b \u0007\n");  // "Café\n\n  a b"
 * }</pre>
 */
public final class TextCleaner {
    private TextCleaner() {
    }

    /** {@code text} cleaned by the rules above. */
    public static String clean(String text) {
        String nfc = Normalizer.normalize(text, Normalizer.Form.NFC);
        StringBuilder out = new StringBuilder(nfc.length());
        StringBuilder line = new StringBuilder();
        int blankLines = 0;
        boolean indentation = true; // the line so far is only spaces and tabs
        int i = 0;
        while (i <= nfc.length()) {
            int c = i < nfc.length() ? nfc.codePointAt(i) : '\n';
            i += i < nfc.length() ? Character.charCount(c) : 1;
            if (c == '\r') {
                if (i < nfc.length() && nfc.charAt(i) == '\n') {
                    continue; // CR LF: the LF ends the line
                }
                c = '\n';
            }
            if (c == '\n') {
                trimEnd(line);
                if (line.isEmpty()) {
                    blankLines++;
                } else {
                    if (!out.isEmpty()) {
                        out.append(blankLines > 0 ? "\n\n" : "\n");
                    }
                    out.append(line);
                    blankLines = 0;
                }
                line.setLength(0);
                indentation = true;
                continue;
            }
            if (c != '\t' && Character.getType(c) == Character.CONTROL) {
                continue;
            }
            if (Character.getType(c) == Character.SPACE_SEPARATOR) {
                c = ' ';
            }
            boolean horizontalSpace = c == ' ' || c == '\t';
            if (horizontalSpace && !indentation) {
                int last = line.charAt(line.length() - 1);
                if (last == ' ' || last == '\t') {
                    line.setCharAt(line.length() - 1, ' ');
                    continue;
                }
                c = ' ';
            }
            indentation &= horizontalSpace;
            line.appendCodePoint(c);
        }
        return out.toString();
    }

    private static void trimEnd(StringBuilder line) {
        int end = line.length();
        while (end > 0 && (line.charAt(end - 1) == ' ' || line.charAt(end - 1) == '\t')) {
            end--;
        }
        line.setLength(end);
    }
}
