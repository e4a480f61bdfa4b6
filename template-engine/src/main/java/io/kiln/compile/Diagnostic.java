package io.kiln.compile;

import java.nio.file.Path;

/**
 * One clang diagnostic. {@code file} points at the real file: template files named by the
 * renderer's {@code #line} directives (relative to the template root) are resolved against
 * {@link io.kiln.template.TemplateDescriptor#root()}; headers keep their absolute path.
 */
public record Diagnostic(Path file, int line, int column, Severity severity, String message) {

    public enum Severity {
        NOTE("note"),
        REMARK("remark"),
        WARNING("warning"),
        ERROR("error"),
        FATAL_ERROR("fatal error");

        private final String label;

        Severity(String label) {
            this.label = label;
        }

        /** As clang prints it, e.g. {@code fatal error}. */
        public String label() {
            return label;
        }

        public boolean isError() {
            return this == ERROR || this == FATAL_ERROR;
        }
    }

    /** {@code /abs/hello.bpf.c.ftl:12:5: error: use of undeclared identifier 'foo'}, as clang prints it. */
    @Override
    public String toString() {
        return file + ":" + line + ":" + column + ": " + severity.label() + ": " + message;
    }
}
