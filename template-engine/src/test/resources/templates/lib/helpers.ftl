<#-- Macros shared by templates that list ../lib in their includes. -->
<#macro map name type key value entries>
struct {
	__uint(type, ${type});
	__uint(max_entries, ${entries});
	__type(key, ${key});
	__type(value, ${value});
} ${name} SEC(".maps");
</#macro>
