package io.kiln.template.internal;

import freemarker.cache.TemplateLoader;
import freemarker.cache.TemplateNameFormat;
import freemarker.core.PlainTextOutputFormat;
import freemarker.core.TemplateClassResolver;
import freemarker.core._CoreAPI;
import freemarker.template.Configuration;
import freemarker.template.Template;
import freemarker.template.SimpleObjectWrapper;
import freemarker.template.TemplateExceptionHandler;
import freemarker.template.Version;

import java.io.IOException;
import java.util.Collections;
import java.util.Locale;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.TimeZone;

/**
 * The one FreeMarker configuration Kiln renders with. Templates are code that runs at build time
 * and on every node, so FreeMarker's defaults are closed one by one: no class instantiation
 * ({@code ?new}), no {@code ?api}, loading only from the template's roots, a wrapper that exposes
 * plain data and nothing with methods, errors rethrown (never printed into the output), and output
 * formats that are valid C whatever the locale.
 */
public final class LockedDownConfiguration {
    public static final Version VERSION = Configuration.VERSION_2_3_34;

    private LockedDownConfiguration() {
    }

    public static Configuration create(TemplateLoader loader) {
        Configuration cfg = new InterruptibleConfiguration();
        cfg.setTemplateLoader(loader);
        cfg.setNewBuiltinClassResolver(TemplateClassResolver.ALLOWS_NOTHING_RESOLVER);
        cfg.setAPIBuiltinEnabled(false);
        // Wraps Map, List, String, Number and Boolean; refuses any other Java object.
        cfg.setObjectWrapper(new SimpleObjectWrapper(VERSION));
        cfg.setTemplateExceptionHandler(TemplateExceptionHandler.RETHROW_HANDLER);
        cfg.setAttemptExceptionReporter((e, env) -> { });
        cfg.setLogTemplateExceptions(false);
        cfg.setWrapUncheckedExceptions(true);
        cfg.setFallbackOnNullLoopVariable(false);

        cfg.setNumberFormat("computer");
        cfg.setBooleanFormat("c");
        cfg.setLocale(Locale.ROOT);
        cfg.setTimeZone(TimeZone.getTimeZone("UTC"));
        cfg.setOutputFormat(PlainTextOutputFormat.INSTANCE);
        cfg.setRecognizeStandardFileExtensions(false);

        cfg.setLocalizedLookup(false);
        cfg.setTemplateNameFormat(TemplateNameFormat.DEFAULT_2_4_0);
        cfg.setDefaultEncoding("UTF-8");
        // Templates change under a running build or agent; check the file on every use.
        cfg.setTemplateUpdateDelayMilliseconds(0);

        // The syntax LineMarkers' scanner understands, fixed so a template cannot switch it.
        cfg.setTagSyntax(Configuration.ANGLE_BRACKET_TAG_SYNTAX);
        cfg.setInterpolationSyntax(Configuration.DOLLAR_INTERPOLATION_SYNTAX);
        cfg.setWhitespaceStripping(true);
        // Columns in error messages count characters, as clang's do.
        cfg.setTabSize(1);
        return cfg;
    }

    /**
     * Whether a directive call has a body of its own: the interruption checks added below give every
     * call a body, so that body alone does not count.
     */
    static boolean hasBody(freemarker.core.DirectiveCallPlace call) {
        if (!(call instanceof freemarker.core.TemplateElement te)) {
            return true;
        }
        for (int i = 0; i < te.getChildCount(); i++) {
            if (!_CoreAPI.getChildElement(te, i).getClass().getSimpleName().equals("ThreadInterruptionCheck")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Adds FreeMarker's thread-interruption checks to every loop and macro body of every template it
     * loads (main and included), so a render past its deadline stops when its thread is interrupted.
     */
    private static final class InterruptibleConfiguration extends Configuration {
        private final Set<Template> checked = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));

        InterruptibleConfiguration() {
            super(VERSION);
        }

        @Override
        public Template getTemplate(String name, Locale locale, Object customLookupCondition, String encoding,
                                    boolean parseAsFTL, boolean ignoreMissing) throws IOException {
            Template t = super.getTemplate(name, locale, customLookupCondition, encoding, parseAsFTL, ignoreMissing);
            if (t != null && parseAsFTL) {
                synchronized (t) {
                    if (checked.add(t)) {
                        _CoreAPI.addThreadInterruptedChecks(t);
                    }
                }
            }
            return t;
        }
    }
}
