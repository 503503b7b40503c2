"""The hostile cases of issue 13, wherever their tests live: `pytest -m hostile` runs them and prints the count.

Every test of tests/test_hostile.py is one; the others are listed here by file and name (a parametrised test
counts once per parameter). tests/test_hostile_registry.py fails when a listed name no longer exists, so the
list cannot rot into a count of nothing.
"""

from __future__ import annotations

WHOLE_FILES = ("test_hostile.py",)

LISTED: dict[str, tuple[str, ...]] = {
    "test_api.py": (
        "test_bad_ask_bodies_are_clear_400s", "test_unknown_report_in_ask_names_the_known_ones",
        "test_a_10_mb_body_is_refused_before_it_is_read", "test_a_body_without_content_length_is_still_limited",
        "test_path_traversal_file_names_are_refused", "test_bad_uploads_leave_the_library_unchanged",
        "test_upload_needs_exactly_one_file", "test_an_upload_over_the_limit_is_413",
        "test_a_full_gate_answers_429_with_retry_after", "test_a_foreign_host_header_is_refused",
        "test_a_non_loopback_address_is_refused_without_auth", "test_weak_or_malformed_auth_settings_are_refused",
        "test_serve_refuses_a_public_address_before_loading_anything",
        "test_the_real_server_answers_over_the_api_and_refuses_overload",
    ),
    "test_app_library.py": (
        "test_a_bad_upload_says_why_and_leaves_the_library_untouched", "test_an_upload_over_the_size_limit_is_refused",
    ),
    "test_browser.py": (
        "test_bad_input_is_shown_as_text_and_the_app_keeps_serving",
        "test_markdown_in_a_question_is_plain_text_and_fetches_nothing",
    ),
    "test_busy.py": (
        "test_a_full_gate_says_busy_at_once_and_keeps_the_question", "test_waiting_too_long_for_a_slot_says_busy",
        "test_a_long_gradio_queue_says_busy_before_taking_a_slot",
    ),
    "test_cli.py": (
        "test_bad_input_is_one_line_and_exit_2", "test_missing_index_is_exit_2",
        "test_batch_answers_every_good_line_and_reports_bad_ones_by_number", "test_ingest_bad_path_is_exit_2",
    ),
    "test_engine.py": (
        "test_bad_questions_raise_question_error", "test_missing_index_is_a_clear_error",
        "test_an_index_built_with_another_model_is_refused",
    ),
    "test_eval_tab.py": (
        "test_an_upload_is_checked", "test_unknown_configuration_is_named",
        "test_an_uploaded_file_name_is_shown_as_plain_text",
    ),
    "test_evals_cli.py": ("test_bad_input_is_one_line_and_exit_2", "test_missing_index_is_one_line_and_exit_2"),
    "test_evals_dataset.py": ("test_bad_lines_name_the_line_and_the_reason",),
    "test_ingest_stages.py": (
        "test_a_file_past_the_parse_budget_is_named_with_the_budget_and_the_batch_goes_on",
        "test_a_parse_past_the_memory_cap_or_a_crashed_child_is_a_clear_error",
        "test_a_budget_or_worker_count_out_of_range_is_one_clear_line", "test_a_budget_that_is_not_a_number_is_refused",
        "test_rebuild_asked_for_or_a_damaged_index_embeds_everything_again",
    ),
    "test_library.py": (
        "test_report_id_without_letters_or_digits_is_a_clear_error",
        "test_ingest_of_a_folder_names_the_bad_file_and_ingests_the_rest",
        "test_an_interrupted_ingest_leaves_the_reports_finished_so_far_usable",
    ),
    "test_library_scale.py": ("test_five_library_pdfs_and_the_html_one_ingest_with_one_error_line",),
    "test_quiz.py": (
        "test_sections_and_themes_narrow_the_quiz_and_bad_input_says_what_to_do",
        "test_gift_parses_back_with_special_characters_escaped",
        "test_quiz_tab_handlers_build_write_and_refuse_bad_input", "test_cli_refuses_bad_input_in_one_line",
    ),
    "test_store.py": (
        "test_bad_input_leaves_the_existing_index_untouched", "test_a_kill_between_renames_falls_back_to_the_old_index",
        "test_missing_or_damaged_index_is_a_clear_error",
    ),
    "test_ui_feedback.py": (
        "test_a_bad_verdict_is_refused_with_the_valid_ones", "test_too_long_a_note_and_a_missing_question_are_refused",
        "test_a_store_in_a_missing_folder_names_it",
    ),
    "test_ui_handout.py": (
        "test_markdown_escapes_html_in_questions_and_quotes",
        "test_a_question_with_markdown_or_html_is_plain_text_in_the_handout",
    ),
    "test_ui_render.py": (
        "test_script_in_report_text_is_escaped_in_the_cited_passage",
        "test_section_html_escapes_report_text_and_boxes_the_cited_passage",
    ),
}


def is_hostile(file_name: str, test_name: str) -> bool:
    """Example: ("test_cli.py", "test_missing_index_is_exit_2") -> True. `test_name` without parameters."""
    return file_name in WHOLE_FILES or test_name in LISTED.get(file_name, ())
