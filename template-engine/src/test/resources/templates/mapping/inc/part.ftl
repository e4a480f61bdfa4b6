<#-- An included file: its lines map to inc/part.ftl. -->
int tok_part_a;
<#if flag>
int tok_part_b;
</#if>
<#list 1..2 as j>
  int tok_part_list;
</#list>
