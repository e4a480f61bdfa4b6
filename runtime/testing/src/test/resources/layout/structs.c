/* Prints sizeof and offsetof of every struct Kiln's JNA binding lays out, from the system headers. */
#include <stdio.h>
#include <stddef.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define SIZE(S) printf(#S " sizeof %zu\n", sizeof(struct S))
#define OFF(S, F) printf(#S " " #F " %zu\n", offsetof(struct S, F))

int main(void)
{
	SIZE(bpf_object_open_opts);
	OFF(bpf_object_open_opts, object_name);
	OFF(bpf_object_open_opts, relaxed_maps);
	OFF(bpf_object_open_opts, pin_root_path);
	OFF(bpf_object_open_opts, kconfig);
	OFF(bpf_object_open_opts, btf_custom_path);
	OFF(bpf_object_open_opts, kernel_log_buf);
	OFF(bpf_object_open_opts, kernel_log_size);
	OFF(bpf_object_open_opts, kernel_log_level);

	SIZE(bpf_link_create_opts);
	OFF(bpf_link_create_opts, flags);
	OFF(bpf_link_create_opts, iter_info);
	OFF(bpf_link_create_opts, iter_info_len);
	OFF(bpf_link_create_opts, target_btf_id);

	SIZE(bpf_link_update_opts);
	OFF(bpf_link_update_opts, flags);
	OFF(bpf_link_update_opts, old_prog_fd);

	SIZE(bpf_test_run_opts);
	OFF(bpf_test_run_opts, data_in);
	OFF(bpf_test_run_opts, data_out);
	OFF(bpf_test_run_opts, data_size_in);
	OFF(bpf_test_run_opts, data_size_out);
	OFF(bpf_test_run_opts, ctx_in);
	OFF(bpf_test_run_opts, ctx_out);
	OFF(bpf_test_run_opts, ctx_size_in);
	OFF(bpf_test_run_opts, ctx_size_out);
	OFF(bpf_test_run_opts, retval);
	OFF(bpf_test_run_opts, repeat);
	OFF(bpf_test_run_opts, duration);
	OFF(bpf_test_run_opts, flags);
	OFF(bpf_test_run_opts, cpu);
	OFF(bpf_test_run_opts, batch_size);

	SIZE(bpf_tc_hook);
	OFF(bpf_tc_hook, ifindex);
	OFF(bpf_tc_hook, attach_point);
	OFF(bpf_tc_hook, parent);

	SIZE(bpf_tc_opts);
	OFF(bpf_tc_opts, prog_fd);
	OFF(bpf_tc_opts, flags);
	OFF(bpf_tc_opts, prog_id);
	OFF(bpf_tc_opts, handle);
	OFF(bpf_tc_opts, priority);

	SIZE(bpf_prog_load_opts);
	OFF(bpf_prog_load_opts, attempts);
	OFF(bpf_prog_load_opts, expected_attach_type);
	OFF(bpf_prog_load_opts, prog_btf_fd);
	OFF(bpf_prog_load_opts, attach_btf_obj_fd);
	OFF(bpf_prog_load_opts, fd_array);
	OFF(bpf_prog_load_opts, func_info);
	OFF(bpf_prog_load_opts, line_info);
	OFF(bpf_prog_load_opts, log_level);
	OFF(bpf_prog_load_opts, log_size);
	OFF(bpf_prog_load_opts, log_buf);

	SIZE(bpf_map_info);
	OFF(bpf_map_info, type);
	OFF(bpf_map_info, id);
	OFF(bpf_map_info, key_size);
	OFF(bpf_map_info, value_size);
	OFF(bpf_map_info, max_entries);
	OFF(bpf_map_info, map_flags);
	OFF(bpf_map_info, name);
	OFF(bpf_map_info, ifindex);
	OFF(bpf_map_info, netns_dev);
	OFF(bpf_map_info, btf_id);
	OFF(bpf_map_info, map_extra);

	OFF(bpf_prog_info, type);
	OFF(bpf_prog_info, id);
	OFF(bpf_prog_info, tag);
	OFF(bpf_prog_info, load_time);
	OFF(bpf_prog_info, map_ids);
	OFF(bpf_prog_info, name);
	OFF(bpf_prog_info, ifindex);

	SIZE(bpf_link_info);
	OFF(bpf_link_info, type);
	OFF(bpf_link_info, id);
	OFF(bpf_link_info, prog_id);
	printf("bpf_link_info union_ %zu\n", offsetof(struct bpf_link_info, xdp.ifindex));
	return 0;
}
