package io.kiln.bindings.internal;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/** Java names for C names: classes in PascalCase, fields in camelCase, constants in UPPER_CASE. */
public final class JavaNames {
    private static final Set<String> KEYWORDS = Set.of("abstract", "assert", "boolean", "break", "byte", "case",
            "catch", "char", "class", "const", "continue", "default", "do", "double", "else", "enum", "extends",
            "final", "finally", "float", "for", "goto", "if", "implements", "import", "instanceof", "int",
            "interface", "long", "native", "new", "package", "private", "protected", "public", "return", "short",
            "static", "strictfp", "super", "switch", "synchronized", "this", "throw", "throws", "transient", "try",
            "void", "volatile", "while", "true", "false", "null", "var", "record", "yield", "sealed", "permits",
            "_");
    /** Members every generated record has or inherits: a field may not take these names. */
    private static final Set<String> RESERVED_MEMBERS = Set.of("toBytes", "fromBytes", "encodeTo", "decodeFrom",
            "equals", "hashCode", "toString", "getClass", "notify", "notifyAll", "wait", "clone", "finalize",
            "builder", "toBuilder", "build", "encode", "decode");
    private static final Pattern PACKAGE_PART = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*");

    private JavaNames() {
    }

    /** Null when {@code name} is a usable Java package name, otherwise why not. */
    public static String packageProblem(String name) {
        if (name == null || name.isEmpty()) {
            return "the package name is empty";
        }
        for (String part : name.split("\\.", -1)) {
            if (!PACKAGE_PART.matcher(part).matches()) {
                return "'" + part + "' is not a Java identifier";
            }
            if (KEYWORDS.contains(part)) {
                return "'" + part + "' is a Java keyword";
            }
        }
        return null;
    }

    private static List<String> words(String cName) {
        List<String> words = new ArrayList<>();
        for (String part : cName.split("_")) {
            if (part.isEmpty()) {
                continue;
            }
            boolean allUpper = part.equals(part.toUpperCase(Locale.ROOT));
            words.add(allUpper ? part.toLowerCase(Locale.ROOT) : part);
        }
        if (words.isEmpty()) {
            words.add("value");
        }
        return words;
    }

    /** {@code flow_key} → {@code FlowKey}, {@code hello} → {@code Hello}. */
    public static String pascal(String cName) {
        StringBuilder b = new StringBuilder();
        for (String w : words(cName)) {
            b.append(Character.toUpperCase(w.charAt(0))).append(w.substring(1));
        }
        return safe(b.toString());
    }

    /** {@code dst_port} → {@code dstPort}, {@code ENDPOINT_IPV4} → {@code endpointIpv4}. */
    public static String camel(String cName) {
        String p = pascal(cName);
        String c = Character.toLowerCase(p.charAt(0)) + p.substring(1);
        return KEYWORDS.contains(c) || RESERVED_MEMBERS.contains(c) ? c + "_" : c;
    }

    /** {@code hello_ingress} → {@code HELLO_INGRESS}, {@code dropEnabled} → {@code DROP_ENABLED}. */
    public static String upper(String cName) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cName.length(); i++) {
            char c = cName.charAt(i);
            if (i > 0 && Character.isUpperCase(c) && (Character.isLowerCase(cName.charAt(i - 1))
                    || Character.isDigit(cName.charAt(i - 1)))) {
                b.append('_');
            }
            b.append(Character.toUpperCase(c));
        }
        return safe(b.toString());
    }

    private static String safe(String name) {
        return Character.isJavaIdentifierStart(name.charAt(0)) ? name : "_" + name;
    }

    /** Hands out names, adding a number where two C names map to one Java name. */
    public static final class Unique {
        private final Set<String> taken = new HashSet<>();

        public Unique(String... reserved) {
            taken.addAll(List.of(reserved));
        }

        public String take(String wanted) {
            String name = wanted;
            for (int n = 2; !taken.add(name); n++) {
                name = wanted + n;
            }
            return name;
        }
    }
}
