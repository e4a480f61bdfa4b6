<#-- A comment
     spanning three lines -->
int tok_first;
<#if flag>
int tok_if_true;
<#else>
int tok_if_false;
</#if>
<#list 1..n as i>
int tok_list /* ${i} */;
</#list>
<#macro twice x>
int tok_macro_a /* ${x} */;
    int tok_macro_b;
</#macro>
<@twice x=1/>
<@twice x=2/>
int tok_after_macro;
<@kiln.declareConstants/>
int tok_after_constants;
<#include "inc/part.ftl">
int tok_after_include;
<#if
   flag &&
   other>
int tok_after_multiline_if;
</#if>
<#assign z = {
  "a": 1,
  "b": "}>"
}>int tok_after_multiline_assign /* ${z.b} */;
   <#if flag>int tok_inline_if;</#if> int tok_inline_rest;
<#if flag && !flag>int never_1;<#else>int tok_inline_else;</#if>
${"int tok_interp_start;"}
int tok_call_a(${n},
               ${n + 1}); int tok_call_b;
<#noparse>
int tok_noparse; /* ${not_interpolated} <#if> */
</#noparse>
/* a comment
<#if flag>
   with a conditional inside
</#if>
*/ int tok_after_comment;
#define MACRO(x) \
	do { \
<#if flag>
	  (x)++; \
</#if>
	} while (0)
int tok_after_define;
#if 0
<#if flag>
int in_skipped_block;
</#if>
#endif
int tok_after_endif;
<#list [] as e>
int never_2;
<#else>
int tok_list_else;
</#list>
<#list ["p", "q"] as s>${s} tok_sep<#sep>,
</#list>;
  <#if flag>
  int tok_stripped_if_body;
  </#if>
  <#lt>int tok_trimmed;
<#compress>
   int   tok_compressed;

</#compress>

<#assign captured>int tok_captured;</#assign>
int tok_before_capture_use;
${captured}
int tok_last;
