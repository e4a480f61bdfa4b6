package io.kiln.template.internal;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LineMarkersTest {
    /** Shows markers as {N} for readability. */
    private static String marked(String source) {
        return LineMarkers.insert(source, "f").replaceAll("\uE000f:(\\d+)\uE001", "{$1}");
    }

    @Test
    void textLinesAreMarkedBeforeTheirFirstNonBlank() {
        assertEquals("{1}int a;\n\n  {3}int b;\n", marked("int a;\n\n  int b;\n"));
    }

    @Test
    void linesOfOnlyTagsAndCommentsAreNotMarked() {
        assertEquals("<#if x>\n  <#-- c -->\n</#if>\n  <@m a=1/>\n", marked("<#if x>\n  <#-- c -->\n</#if>\n  <@m a=1/>\n"));
    }

    @Test
    void outputAfterATagIsMarkedAgain() {
        assertEquals("<#if x>{1}a<#else>{1}b</#if> {1}c ${d}\n", marked("<#if x>a<#else>b</#if> c ${d}\n"));
        assertEquals("{1}${a}${b} <#if x>{1}${c}</#if>\n", marked("${a}${b} <#if x>${c}</#if>\n"));
    }

    @Test
    void tagsAndInterpolationsSpanningLines() {
        assertEquals("<#if a &&\n  b>{2}x\n{3}${f(1,\n 2)} {4}y\n", marked("<#if a &&\n  b>x\n${f(1,\n 2)} y\n"));
        assertEquals("<#if (a > b)>{1}x</#if>\n", marked("<#if (a > b)>x</#if>\n"));
        assertEquals("<#assign f = (x -> x > 1)>{1}y\n", marked("<#assign f = (x -> x > 1)>y\n"));
    }

    @Test
    void stringsMayHoldTagEndsAndInterpolations() {
        assertEquals("<#assign s = \"}>${'>'}\" + r'\\'>{1}x\n", marked("<#assign s = \"}>${'>'}\" + r'\\'>x\n"));
        assertEquals("<#assign s = 'a\\'>'>{1}x\n", marked("<#assign s = 'a\\'>'>x\n"));
        assertEquals("{1}${{\"k\": \"}\"}.k}\n", marked("${{\"k\": \"}\"}.k}\n"));
    }

    @Test
    void commentsInsideTagsAndNoparseBodies() {
        assertEquals("<#if x <#-- > --> >{1}y</#if>\n", marked("<#if x <#-- > --> >y</#if>\n"));
        assertEquals("<#noparse>\n{2}${x} <#if>\n</#noparse>\n", marked("<#noparse>\n${x} <#if>\n</#noparse>\n"));
    }

    @Test
    void textThatOnlyLooksLikeFtlStaysText() {
        assertEquals("{1}#include <linux/bpf.h>\n{2}a <#1 b\n{3}#{x} [#if] [=y]\n",
                marked("#include <linux/bpf.h>\na <#1 b\n#{x} [#if] [=y]\n"));
    }

    @Test
    void originalColumnUndoesTheMarkers() {
        String source = "  a <#if x>b</#if> ${c}\n";
        String markedText = LineMarkers.insert(source, "f");
        int len = LineMarkers.marker("f", 1).length();
        // "${c}" is at column 20 as written; in the marked text three markers precede it.
        assertEquals(20, markedText.indexOf("${c}") + 1 - 3 * len);
        assertEquals(20, LineMarkers.originalColumn(source, "f", 1, markedText.indexOf("${c}") + 1));
        assertEquals(1, LineMarkers.originalColumn(source, "f", 1, 1));
        assertEquals(3, LineMarkers.originalColumn(source, "f", 1, 3 + len));
        assertEquals(3, LineMarkers.originalColumn(source, "f", 1, 4));
    }

    @Test
    void stripRemovesMarkers() {
        assertEquals("int a;\n", LineMarkers.strip(LineMarkers.insert("int a;\n", "some/file.ftl")));
    }
}
