"""Unit tests of the bench tools on the fixed inputs in data/: the MLLOG reader and campaign
statistics, the report (Markdown figures and PNGs) and the regression comparator (a known
regression is caught, noise within tolerance is not)."""
import contextlib
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.dirname(HERE)
DATA = os.path.join(HERE, "data")
sys.path.insert(0, TOOLS)

import benchstats  # noqa: E402
import campaign  # noqa: E402
import mllog  # noqa: E402
import regress  # noqa: E402
import report  # noqa: E402

SEED_LOGS = [os.path.join(DATA, f"seed{s}.log") for s in range(1, 6)]


def quiet(fn, *args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = fn(*args)
        except SystemExit as e:
            code = e.code
    return code, out.getvalue(), err.getvalue()


class StatsTest(unittest.TestCase):
    def test_olympic_mean_drops_best_and_worst(self):
        self.assertAlmostEqual(benchstats.olympic_mean([10, 1, 4, 100, 7]), 7.0)
        self.assertAlmostEqual(benchstats.olympic_mean([2, 4]), 3.0)

    def test_summary(self):
        s = benchstats.summary([8.0, 12.0, 10.0])
        self.assertEqual((s["min"], s["max"], s["spread"], s["n"]), (8.0, 12.0, 4.0, 3))
        self.assertAlmostEqual(s["spread_rel"], 0.4)


class MllogTest(unittest.TestCase):
    def test_summary_of_one_run(self):
        r = mllog.summarise(SEED_LOGS[0])
        self.assertEqual((r["benchmark"], r["seed"], r["status"], r["epochs"]),
                         ("unet3d", 1, "success", 5))
        self.assertTrue(r["reached"])
        self.assertAlmostEqual(r["time_to_target_s"], 10.02)
        self.assertAlmostEqual(r["last_quality"], 0.92)
        self.assertEqual(len(r["series"]["eval_accuracy"]), 5)
        self.assertEqual(r["series"]["train_loss"][1], (2, 0.5))

    def test_missed_target(self):
        r = mllog.summarise(os.path.join(DATA, "missed.log"))
        self.assertFalse(r["reached"])
        self.assertEqual(r["status"], "aborted")

    def test_broken_log_names_file_and_line(self):
        with self.assertRaisesRegex(mllog.LogError, r"broken\.log:2"):
            mllog.summarise(os.path.join(DATA, "broken.log"))


class CampaignTest(unittest.TestCase):
    def test_collect_statistics(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "c.json")
            code, text, _ = quiet(campaign.main, ["--collect", *SEED_LOGS,
                                                  os.path.join(DATA, "missed.log"),
                                                  "--json", out])
            self.assertEqual(code, 1)  # one run missed its target
            with open(out) as f:
                doc = json.load(f)
        s = doc["statistics"]
        self.assertEqual((s["runs"], s["reached"]), (6, 5))
        t = s["time_to_target_s"]
        self.assertAlmostEqual(t["mean"], 12.22)
        self.assertAlmostEqual(t["olympic_mean"], 11.02)
        self.assertAlmostEqual(t["min"], 8.02)
        self.assertAlmostEqual(t["max"], 20.02)
        self.assertAlmostEqual(s["epochs"]["mean"], 6.0)
        self.assertAlmostEqual(s["epochs"]["olympic_mean"], 16 / 3)
        self.assertIn("5 of 6", text)

    def test_archive_copies_logs_with_relative_paths(self):
        with tempfile.TemporaryDirectory() as tmp:
            camp = os.path.join(tmp, "c.json")
            quiet(campaign.main, ["--demo", "kits19", "--collect", *SEED_LOGS, "--json", camp])
            code, _, err = quiet(campaign.main, ["--archive", camp, os.path.join(tmp, "kept")])
            self.assertEqual(code, 0, err)
            with open(os.path.join(tmp, "kept", "kits19.json")) as f:
                doc = json.load(f)
            self.assertEqual(doc["runs"][3]["log"], os.path.join("kits19", "seed4.log"))
            with open(os.path.join(tmp, "kept", "kits19", "seed4.log")) as f, \
                    open(SEED_LOGS[3]) as g:
                self.assertEqual(f.read(), g.read())

    def test_console_losses_fill_empty_series(self):
        r = campaign.add_console_losses(mllog.summarise(os.path.join(DATA, "missed.log")),
                                        os.path.join(DATA, "demo_stdout.txt"))
        self.assertEqual(r["series"]["eval_loss"], [(1, 2.1885)])
        self.assertEqual(r["series"]["train_loss"][0], (1, 1.0))  # the MLLOG series is kept
        r["series"]["train_loss"] = []
        campaign.add_console_losses(r, os.path.join(DATA, "demo_stdout.txt"))
        self.assertEqual(r["series"]["train_loss"], [(1, 2.2093), (2, 1.5)])

    def test_unreadable_log_exits_2(self):
        code, _, err = quiet(campaign.main, ["--collect", os.path.join(DATA, "broken.log")])
        self.assertEqual(code, 2)
        self.assertIn("broken.log:2", err)


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


class ReportTest(unittest.TestCase):
    def test_report_from_fixed_inputs(self):
        with tempfile.TemporaryDirectory() as tmp:
            camp = os.path.join(tmp, "unet3d.json")
            quiet(campaign.main, ["--demo", "kits19", "--collect", *SEED_LOGS, "--json", camp])
            out = os.path.join(tmp, "report")
            code, _, err = quiet(report.main, [
                "--out", out, "--campaign", camp, "--bench", os.path.join(DATA, "step_compare.json"),
                "--scaling", os.path.join(DATA, "scaling.txt")])
            self.assertEqual(code, 0, err)
            with open(os.path.join(out, "report.md")) as f:
                md = f.read()
            for name in ("kits19_curves.png", "time_to_target.png", "step_times.png",
                         "throughput_vs_ranks.png"):
                width, height = png_size(os.path.join(out, name))
                self.assertGreater(width, 300, name)
                self.assertGreater(height, 200, name)
                self.assertIn(f"]({name})", md)
        # the campaign row: mean 12.2, olympic 11.0, min 8.0, max 20.0, spread 12.0 (98 %)
        self.assertIn("| kits19 | ", md)
        self.assertIn("| 5 of 5 | 12.2 | 11.0 | 8.0 | 20.0 | 12.0 (98 %) | 6.0 (4–10) |", md)
        # the seeds' report fields, with the log file
        self.assertIn("| 4 | ", md)
        self.assertIn("| 20.0 | 10 | 0.9200 | success | ", md)
        self.assertIn("seed4.log", md)
        self.assertIn("| unet3d | 2×1×64³ | 31,190,243 | 10.300 | 7.300 | 1.41× (1.40–1.41) |", md)
        # weak scaling: 2 ranks 25.00 samples/s = 94 % of 2 x 13.33
        self.assertIn("| 2 | gloo | 0.160 | 25.00 | 94 % |", md)

    def test_bad_inputs_exit_2_naming_the_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            code, _, err = quiet(report.main, ["--out", tmp, "--bench",
                                               os.path.join(DATA, "regress_baseline.json")])
            self.assertEqual(code, 2)
            self.assertIn("regress_baseline.json", err)
            code, _, err = quiet(report.main, ["--out", tmp, "--scaling",
                                               os.path.join(DATA, "seed1.log")])
            self.assertEqual(code, 2)
            self.assertIn("seed1.log", err)


class RegressTest(unittest.TestCase):
    def compare(self, current):
        return quiet(regress.main, ["--compare", os.path.join(DATA, "regress_baseline.json"),
                                    os.path.join(DATA, current)])

    def test_same_figures_pass(self):
        code, out, _ = self.compare("regress_baseline.json")
        self.assertEqual(code, 0, out)

    def test_noise_within_tolerance_passes(self):
        code, out, _ = self.compare("regress_within_noise.json")
        self.assertEqual(code, 0, out)
        self.assertIn("passed", out)

    def test_noisy_measurement_widens_tolerance(self):
        code, out, _ = self.compare("regress_noisy.json")
        self.assertEqual(code, 0, out)

    def test_known_regression_is_caught_and_named(self):
        code, out, _ = self.compare("regress_slower_unet3d.json")
        self.assertEqual(code, 1)
        self.assertIn("step.unet3d.speedup: 1.4x -> 0.98x, 30.0 % worse (tolerance 25 %)", out)
        self.assertNotIn("step.deepcam.speedup: ", out.split("FAILED")[1])

    def test_missed_target_and_missing_figure(self):
        code, out, _ = self.compare("regress_missed_target.json")
        self.assertEqual(code, 1)
        self.assertIn("campaign.kits19.reached: 1 -> 0.5, 50.0 % worse (tolerance 0 %)", out)
        self.assertIn("step.deepcam.speedup: measured in the baseline, missing now", out)

    def test_bad_file_exits_2(self):
        code, _, err = quiet(regress.main, ["--compare", os.path.join(DATA, "seed1.log"),
                                            os.path.join(DATA, "regress_baseline.json")])
        self.assertEqual(code, 2)
        self.assertIn("seed1.log", err)

    def test_command_line_exit_code(self):
        done = subprocess.run([sys.executable, os.path.join(TOOLS, "regress.py"), "--compare",
                               os.path.join(DATA, "regress_baseline.json"),
                               os.path.join(DATA, "regress_slower_unet3d.json")],
                              capture_output=True, text=True)
        self.assertEqual(done.returncode, 1)


if __name__ == "__main__":
    unittest.main()
