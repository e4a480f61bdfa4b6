package io.kiln.template.internal;

import freemarker.cache.FileTemplateLoader;
import freemarker.template.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Markers must be invisible: for many templates assembled from tricky fragments (seeded, so a
 * failure reproduces), FreeMarker's output through the marking loader, markers stripped, equals
 * its output through a plain loader, byte for byte, or both fail alike.
 */
class MarkerInvisibilityTest {
    private static final List<String> FRAGMENTS = List.of(
            "int a;",
            "  <#if flag>x</#if> y",
            "<#if flag>\n  in_if;\n<#else>\n  in_else;\n</#if>",
            "<#list 1..2 as i>${i}<#sep>, </#list>",
            "<#list 1..2 as i>\n  item ${i};\n</#list>",
            "<#assign v = \"a>b\" + r'\\'>",
            "<#assign cap>captured ${n}</#assign>${cap}",
            "<#assign cap2>\n  multi\n</#assign>\n${cap2?trim}|",
            "<#macro mm a>\n m ${a};\n</#macro>",
            "<@mm a=1/>",
            "  <@mm a=2/>  ",
            "<#-- comment\n spanning -->",
            "x <#-- c --> y",
            "   <#t>trimmed   ",
            "<#lt>   left",
            "right   <#rt>",
            "<#compress>\n  a    b\n\n</#compress>",
            "${n}${n}   ${flag?c}",
            "<#noparse>${x}</#noparse>",
            "<#noparse>\n  <#if> ${y}\n</#noparse>",
            "/* c <#if flag>x</#if> */",
            "<#if\n flag\n>multi</#if>",
            "<#if (n > 2)>gt</#if>",
            "   ",
            "",
            "\t<#if flag>\n\t\tnested <#if !flag>no<#else>yes</#if>\n\t</#if>",
            "<#switch n><#case 3>three<#break><#default>other</#switch>",
            "<#switch n>\n  <#case 3>\n    three\n    <#break>\n  <#default>\n    other\n</#switch>",
            "<#attempt>${missing}<#recover>recovered</#attempt>",
            "<#nt>   keep   ",
            "${{\"k\": \"}\"}.k} ${\"a${n}b\"}",
            "<#function f x><#return x * 2></#function>${f(n)}",
            "<#list [] as e>never<#else>empty</#list>",
            "<#list [\"p\", \"q\"]>\n  <#items as s2>${s2}<#sep>;</#items>\n</#list>",
            "#define M(x) \\\n\tdo { \\\n<#if flag>\n\t(x)++; \\\n</#if>\n\t} while (0)");

    @TempDir
    Path tmp;

    @Test
    void markedAndPlainRenderingsAgree() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("root"));
        List<String> names = new ArrayList<>();
        for (int seed = 0; seed < 300; seed++) {
            Random random = new Random(seed);
            StringBuilder text = new StringBuilder(seed % 7 == 0 ? "<#ftl strip_whitespace=true>\n" : "");
            int lines = 3 + random.nextInt(12);
            for (int i = 0; i < lines; i++) {
                text.append(FRAGMENTS.get(random.nextInt(FRAGMENTS.size()))).append(random.nextInt(4) == 0 ? "\r\n" : "\n");
            }
            if (random.nextBoolean()) {
                text.setLength(text.length() - 1);
            }
            String name = "t" + seed + ".ftl";
            Files.writeString(root.resolve(name), text);
            names.add(name);
        }
        Configuration marked = LockedDownConfiguration.create(new TemplateRootsLoader(List.of(root)));
        Configuration plain = LockedDownConfiguration.create(new FileTemplateLoader(root.toFile()));
        int rendered = 0;
        for (boolean flag : new boolean[] {true, false}) {
            Map<String, Object> model = Map.of("flag", flag, "n", 3L);
            for (String name : names) {
                String expected = render(plain, name, model);
                assertEquals(expected, LineMarkers.strip(render(marked, name, model)),
                        () -> name + " with flag=" + flag + ":\n" + read(root.resolve(name)));
                rendered += expected.startsWith("FAILED: ") ? 0 : 1;
            }
        }
        // Most must render: agreeing on failures alone would prove nothing.
        assertTrue(rendered > 400, rendered + " of 600 rendered");
    }

    private static String render(Configuration cfg, String name, Map<String, Object> model) {
        try {
            StringWriter out = new StringWriter();
            cfg.getTemplate(name).process(model, out);
            return out.toString();
        } catch (Exception e) {
            // Both must fail the same way; the message names the same place whatever the markers.
            return "FAILED: " + e.getClass().getSimpleName();
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }
}
