/*
 * Verdict reasons: every packet a Kiln program handles is counted under exactly one (metrics.h),
 * whether it is passed on or dropped.
 *
 * The reasons themselves are declared in each template's descriptor (`reasons:` in
 * NAME.template.yaml) and reach the C through <@kiln.declareReasons/>, which the template calls
 * before including this header: `#define REASON_<NAME> <code>` per reason, KILN_REASON_SLOTS and
 * KILN_REASONS_DECLARED. The generated Java bindings (NameBpf.DropReason) come from the same list.
 *
 * API: KILN_REASON_MAX, REASON_IS_DROP(r), KILN_OK.
 * Kiln's own templates keep a convention the descriptor's `verdict` states and a test checks:
 *   0..7   the packet went on (passed, redirected, answered);
 *   8..63  the packet was dropped.
 * The numbers are ABI: they index the metrics maps. Never renumber or reuse a value.
 */
#ifndef KILN_DROP_REASONS_H
#define KILN_DROP_REASONS_H

#ifndef KILN_REASONS_DECLARED
#error "call <@kiln.declareReasons/> before including kiln/drop_reasons.h: the reasons live in the template's descriptor"
#endif

#define KILN_REASON_FIRST_DROP  8
#define KILN_REASON_MAX        KILN_REASON_SLOTS /* exclusive bound: the metrics map has this many slots per direction */

#define REASON_IS_DROP(r)	((r) >= KILN_REASON_FIRST_DROP)

/* Steps of a program return KILN_OK to go on, or a drop reason (never 0, see above). */
#define KILN_OK                 0

#endif /* KILN_DROP_REASONS_H */
