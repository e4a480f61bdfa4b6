package io.kiln.template;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TemplatesTest {
    @TempDir
    Path tmp;

    @Test
    void loadsTheFullDescriptorFormat() {
        Path folder = TestTemplates.resource("endpoint");
        TemplateDescriptor t = Templates.load(folder);

        assertEquals("endpoint", t.name());
        assertEquals(folder, t.root());
        assertEquals(folder.resolve("endpoint.template.yaml"), t.descriptorFile());
        assertEquals(folder.resolve("endpoint.bpf.c.ftl"), t.templateFile());
        assertEquals(List.of(folder, folder.resolve("include"), folder.getParent().resolve("lib")), t.includeDirs());
        assertEquals(List.of(new ProgramDecl("from_endpoint", Hook.TC_INGRESS),
                new ProgramDecl("to_endpoint", Hook.TC_EGRESS)), t.programs());

        assertEquals(List.of("ipv6", "ctSize", "policyMode", "prefix"),
                t.buildParameters().stream().map(BuildParameter::name).toList());
        BuildParameter ipv6 = t.buildParameter("ipv6").orElseThrow();
        assertEquals(ParamType.BOOL, ipv6.type());
        assertEquals(false, ipv6.defaultValue());
        assertEquals("Compile the IPv6 path in", ipv6.description());
        BuildParameter ct = t.buildParameter("ctSize").orElseThrow();
        assertEquals(new BuildParameter("ctSize", ParamType.INT, 65536L, 1024L, 1048576L, List.of(), ""), ct);
        assertEquals(List.of("enforce", "audit", "off"), t.buildParameter("policyMode").orElseThrow().values());
        assertEquals("enforce", t.buildParameter("policyMode").orElseThrow().defaultValue());
        assertEquals("kiln", t.buildParameter("prefix").orElseThrow().defaultValue());

        assertEquals(List.of("ENDPOINT_ID", "IDENTITY", "ENDPOINT_IPV4", "ENDPOINT_IPV6", "ENDPOINT_MAC", "DEBUG"),
                t.constants().stream().map(ConstantDecl::name).toList());
        assertEquals(ConstantType.MAC, t.constant("ENDPOINT_MAC").orElseThrow().type());
        assertEquals(List.of(new MapDecl("policy", MapScope.ENDPOINT, true), new MapDecl("ipcache", MapScope.NODE, true),
                new MapDecl("scratch", MapScope.ENDPOINT, false)), t.maps());
    }

    @Test
    void acceptsTheDescriptorPathAndRelativePaths() {
        Path descriptor = TestTemplates.resource("endpoint").resolve("endpoint.template.yaml");
        assertEquals(Templates.load(descriptor), Templates.load(TestTemplates.resource("endpoint")));

        Path relative = Path.of("").toAbsolutePath().relativize(descriptor);
        TemplateDescriptor t = Templates.load(relative);
        assertTrue(t.descriptorFile().isAbsolute());
        assertEquals(descriptor, t.descriptorFile());
    }

    @Test
    void minimalDescriptorHasEmptySections() {
        TemplateDescriptor t = Templates.load(TestTemplates.write(tmp, "m", "name: m\nprograms:\n  p: { hook: xdp }\n"
                + "build:\nconstants: {}\n", "x"));
        assertEquals(List.of(), t.buildParameters());
        assertEquals(List.of(), t.constants());
        assertEquals(List.of(), t.maps());
        assertEquals(List.of(t.root()), t.includeDirs());
    }

    @Test
    void folderWithSeveralDescriptorsUsesTheOneNamedAfterIt() throws Exception {
        Path folder = TestTemplates.write(tmp, "twin", "name: twin\nprograms:\n  p: { hook: xdp }\n", "x");
        Files.writeString(folder.resolve("other.template.yaml"), "name: other\nprograms:\n  p: { hook: xdp }\n");
        assertEquals("twin", Templates.load(folder).name());

        Files.move(folder.resolve("twin.template.yaml"), folder.resolve("third.template.yaml"));
        DescriptorException e = assertThrows(DescriptorException.class, () -> Templates.load(folder));
        assertEquals(folder, e.file());
        assertTrue(e.getMessage().contains("other.template.yaml, third.template.yaml"), e.getMessage());
    }

    @Test
    void folderWithoutDescriptorOrMissingPath() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        DescriptorException e = assertThrows(DescriptorException.class, () -> Templates.load(empty));
        assertEquals(empty + ": no *.template.yaml descriptor in this folder", e.getMessage());
        assertTrue(e.isUserError());

        Path missing = tmp.resolve("missing");
        e = assertThrows(DescriptorException.class, () -> Templates.load(missing));
        assertEquals(missing + ": no such template folder or descriptor", e.getMessage());
    }

    @Test
    void missingTemplateSourceNamesTheFileItLookedFor() {
        Path folder = TestTemplates.write(tmp, "lonely", "name: lonely\nprograms:\n  p: { hook: xdp }\n", null);
        DescriptorException e = assertThrows(DescriptorException.class, () -> Templates.load(folder));
        assertEquals(1, e.line());
        assertEquals(7, e.column());
        assertEquals("name", e.field());
        assertTrue(e.getMessage().startsWith(folder.resolve("lonely.template.yaml") + ":1:7: name: template source"
                + " lonely.bpf.c.ftl not found beside the descriptor"), e.getMessage());
    }
}
