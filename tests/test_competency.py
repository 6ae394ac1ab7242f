"""Competency questions: the example queries answered over the built release, checked against the document."""

from __future__ import annotations

import pytest

from scograph.examples import example_queries, example_query

DOC = "https://w3id.org/scograph/id/document/2024/green-development-initiative"
ID = "https://w3id.org/scograph/id/"


def rows(store, slug: str) -> list[dict[str, str]]:
    return [{k: str(v) for k, v in row.items()} for row in store.select(example_query(slug).query)]


def test_there_are_at_least_fifteen_documented_questions():
    examples = example_queries()
    assert len(examples) >= 15
    assert all(e.title.endswith("?") or e.title for e in examples)
    assert len({e.slug for e in examples}) == len(examples)


def test_gbf_is_cited_by_operative_clause_3_only(store):
    result = rows(store, "01-clauses-citing-gbf")
    assert [r["clause"] for r in result] == [f"{DOC}/clause/op-3"]
    assert result[0]["text"].startswith("Promote the implementation of the Kunming-Montreal")


def test_china_commits_to_the_innovation_base(store):
    (row,) = rows(store, "02-china-commitment")
    assert row["party"] == f"{ID}state/chn"
    assert row["label_zh"] == "中国—上海合作组织生态环保创新基地"
    assert "China will set up a China-SCO Ecology and Environment Innovation Base" in row["text_en"]


def test_events_in_july_2024(store):
    result = rows(store, "03-events-july-2024")
    assert [r["event"] for r in result][:2] == [f"{ID}event/2024/sco-astana-summit", f"{ID}event/2024/green-development-forum"]
    assert {r["start"] for r in result} == {"2024-07-04", "2024-07-08"}


def test_ten_member_states_on_the_forum_date(store):
    result = rows(store, "04-member-states-on-forum-date")
    assert {r["name"] for r in result} == {
        "China", "Russia", "Kazakhstan", "Kyrgyzstan", "Tajikistan", "Uzbekistan",
        "India", "Pakistan", "Iran", "Belarus",
    }
    assert result[-1]["name"] == "Belarus" and result[-1]["since"] == "2024-07-04"


def test_sco_family_counts_by_role(store):
    counts = {r["roleLabel"]: int(r["states"]) for r in rows(store, "05-sco-family-by-role")}
    assert counts == {"Member state": 10, "Observer state": 2, "Dialogue partner": 14}


def test_operative_clause_actions_in_order(store):
    result = rows(store, "06-operative-clauses-actions")
    assert [(r["number"], r["action"]) for r in result] == [
        ("1", "act on"), ("2", "implement"), ("3", "promote"),
        ("4", "exchange"), ("5", "broaden"), ("6", "facilitate"),
    ]


def test_cited_instruments_in_order_of_citation(store):
    result = rows(store, "07-cited-instruments")
    slugs = [r["instrument"].rsplit("/", 1)[-1] for r in result]
    assert slugs[0] == "sco-environmental-cooperation-conception-2018"
    assert slugs[-1] == "transforming-our-world-2030-agenda"
    assert set(slugs) == {
        "sco-environmental-cooperation-conception-2018", "sco-astana-summit-consensus-2024",
        "sco-environmental-protection-agreement-2024", "sco-samarkand-climate-statement-2022",
        "kunming-montreal-global-biodiversity-framework", "transforming-our-world-2030-agenda",
    }
    dates = {r["instrument"].rsplit("/", 1)[-1]: r["date"] for r in result}
    assert dates["kunming-montreal-global-biodiversity-framework"] == "2022-12-19"
    assert dates["sco-environmental-cooperation-conception-2018"] == "2018-06"


def test_full_chinese_text_in_reading_order(store):
    result = rows(store, "08-full-text-zh")
    assert [int(r["position"]) for r in result] == list(range(1, 16))
    assert result[0]["text"].startswith("2024年7月8日,上海合作组织")
    assert result[6]["text"].startswith("落实2024年7月4日上合组织阿斯塔纳峰会领导人共识")


def test_clauses_about_climate_change_follow_the_topic_hierarchy(store):
    result = rows(store, "09-clauses-about-climate")
    clauses = {r["clause"].rsplit("/", 1)[-1] for r in result}
    assert clauses == {"pre-2", "op-2"}
    assert "Adaptation to climate change" in {r["topic"] for r in result}


def test_shanghai_spirit_values_in_order(store):
    result = rows(store, "10-shanghai-spirit")
    assert [r["zh"] for r in result] == ["互信", "互利", "平等", "协商", "尊重多样文明", "谋求共同发展"]


def test_thematic_years_are_mentioned_in_clause_1(store):
    result = rows(store, "11-thematic-years")
    assert {r["year"] for r in result} == {"2024", "2025"}
    assert {r["part"] for r in result} >= {f"{DOC}/clause/op-1"}


def test_editorial_sdg_links_use_un_iris(store):
    result = rows(store, "12-editorial-sdg-links")
    assert all(r["sdg"].startswith("http://metadata.un.org/sdg/") for r in result)
    by_goal = {r["sdg"]: r["clauses"] for r in result}
    assert "op-2" in by_goal["http://metadata.un.org/sdg/13"]


def test_where_instruments_were_adopted(store):
    places = {r["instrument"].rsplit("/", 1)[-1]: r["place"] for r in rows(store, "13-instrument-adoption")}
    assert places["sco-environmental-protection-agreement-2024"] == "Astana"
    assert places["sco-samarkand-climate-statement-2022"] == "Samarkand"
    assert places["sco-environmental-cooperation-conception-2018"] == "Qingdao"


def test_recent_joiners(store):
    names = {r["name"]: r["role"] for r in rows(store, "14-recent-joiners")}
    assert names["Belarus"] == "Member state" and names["Iran"] == "Member state"
    assert "Mongolia" not in names and "India" not in names
    assert len(names) == 10


def test_forms_of_cooperation_of_clause_6(store):
    assert [r["zh"] for r in rows(store, "15-forms-of-cooperation")] == ["联合研究", "项目实施", "专家交流", "人员培训"]


def test_waste_search_finds_clause_4_in_both_languages(store):
    result = rows(store, "16-search-waste")
    assert {r["clause"] for r in result} == {f"{DOC}/clause/op-4"}
    assert len(result) == 2


def test_forum_theme_and_hosts(store):
    result = rows(store, "17-forum-theme-hosts")
    assert "携手绿色发展,推动人与自然和谐共生" in {r["theme"] for r in result}
    assert "SCO Secretariat" in {r["organizer"] for r in result}


def test_editorial_gbf_targets(store):
    numbers = {int(r["number"]) for r in rows(store, "18-editorial-gbf-targets")}
    assert numbers == {7, 8, 16, 19}


def test_member_states_wikidata_links(store):
    result = rows(store, "19-member-states-wikidata")
    assert {r["iso"]: r["wikidata"].rsplit("/", 1)[-1] for r in result}["CHN"] == "Q148"
    assert len(result) == 10


def test_memberships_in_force_on_a_date_whatever_the_precision(store):
    result = rows(store, "21-memberships-in-force-on-a-date")
    status = {r["name"]: r["status"] for r in result}
    # Begun by 15 September 2022 at the precision known: founders (day), Mongolia (year 2004),
    # Sri Lanka and Afghanistan (month), Armenia, Azerbaijan, Cambodia, Nepal (year 2015), ...
    certainly = {
        "China", "Russia", "Kazakhstan", "Kyrgyzstan", "Tajikistan", "Uzbekistan", "Mongolia",
        "Sri Lanka", "Afghanistan", "Türkiye", "Armenia", "Azerbaijan", "Cambodia", "Nepal",
        "India", "Pakistan", "Egypt", "Qatar",
    }
    # ... while "September 2022" may be before or after the 15th: possibly, not invented.
    possibly = {"Bahrain", "Kuwait", "Maldives", "Myanmar", "Saudi Arabia", "United Arab Emirates"}
    assert {n for n, s in status.items() if s == "certainly"} == certainly
    assert {n for n, s in status.items() if s == "possibly"} == possibly
    assert "Iran" not in status and "Belarus" not in status  # members from 2023 and 2024
    mongolia = next(r for r in result if r["name"] == "Mongolia")
    assert (mongolia["earliest"], mongolia["latest"]) == ("2004-01-01", "2004-12-31")


def test_instruments_by_year_of_adoption_include_the_month_dated_conception(store):
    result = rows(store, "22-instruments-by-year-of-adoption")
    by_year = {}
    for r in result:
        by_year.setdefault(int(r["year"]), set()).add(r["instrument"].rsplit("/", 1)[-1])
    assert by_year == {
        2015: {"transforming-our-world-2030-agenda"},
        2018: {"sco-environmental-cooperation-conception-2018"},
        2022: {"kunming-montreal-global-biodiversity-framework", "sco-samarkand-climate-statement-2022"},
        2024: {"sco-environmental-protection-agreement-2024", "sco-astana-summit-consensus-2024"},
    }
    conception = next(r for r in result if r["instrument"].endswith("conception-2018"))
    assert (conception["earliest"], conception["latest"]) == ("2018-06-01", "2018-06-30")


def test_gbf_target_short_titles_on_one_property(store):
    result = rows(store, "23-gbf-target-titles")
    titles = {int(r["number"]): r["title"] for r in result}
    assert set(titles) == {7, 8, 16, 19}
    assert titles[19] == "Mobilize $200 Billion per Year for Biodiversity From all Sources, Including $30 Billion Through International Finance"
    assert not any(t.startswith("Target") for t in titles.values())


def test_every_dated_thing_has_date_bounds(store):
    """Whatever property carries its date, every dated thing answers the one bounds pattern."""
    query = """
        PREFIX scog: <https://w3id.org/scograph/ontology#>
        SELECT (COUNT(DISTINCT ?thing) AS ?unbounded) WHERE {
          VALUES ?dateProperty {
            <http://data.europa.eu/eli/ontology#date_document> <http://purl.org/dc/terms/date>
            <http://www.w3.org/2006/time#inXSDDate> <http://www.w3.org/2006/time#inXSDgYearMonth>
            <http://www.w3.org/2006/time#inXSDgYear> <https://schema.org/startDate> scog:year
          }
          ?thing ?dateProperty ?date .
          FILTER NOT EXISTS { ?thing scog:earliestDate ?e ; scog:latestDate ?l }
        }"""
    assert [r["unbounded"] for r in ({k: str(v) for k, v in row.items()} for row in store.select(query))] == ["0"]


def test_construct_example_returns_the_clause(store):
    graph = store.construct(example_query("20-construct-clause").query)
    assert len(graph) > 10


@pytest.mark.parametrize("example", example_queries(), ids=lambda e: e.slug)
def test_every_example_query_runs_and_answers(store, example):
    outcome = store.run(example.query)
    assert outcome.body, example.slug
