from convene.topics.similarity import THRESHOLD, most_similar, similarity, stem, tokens


def test_open_data_policy_finds_open_data_policies():
    assert similarity("open data policy", "Open-data policies") == 1.0
    found = most_similar(
        "open data policy",
        [(1, "Procurement for results"), (2, "Open-data policies"), (3, "311 data")],
    )
    assert [m.id for m in found] == [2]


def test_plurals_fold_to_one_stem():
    assert stem("policies") == "policy"
    assert stem("dashboards") == "dashboard"
    assert stem("processes") == "process"
    assert stem("status") == "status"
    assert stem("analysis") == "analysis"


def test_tokens_drop_punctuation_case_and_filler_words():
    assert tokens("The Performance-Dashboards of our City!") == ["performance", "dashboard", "city"]


def test_unrelated_titles_score_below_the_threshold():
    assert similarity("open data policy", "Evaluating a programme with a randomised trial") < (
        THRESHOLD
    )
    assert similarity("", "anything") == 0.0


def test_best_match_first_and_limit_respected():
    candidates = [(i, f"Performance dashboards {i}") for i in range(10)]
    candidates.append((99, "Performance dashboards"))
    found = most_similar("performance dashboard", candidates, limit=3)
    assert len(found) == 3
    assert found[0].id == 99 and found[0].score == 1.0
