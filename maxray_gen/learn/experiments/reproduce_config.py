"""The ``maxray reproduce`` preset (``maxray_gen/presets/reproduce/<name>.yaml``): scene sets, their test split,
the training settings of each method, ablations and learning curves, each resolved into the typed configuration
of the stage that uses it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Literal

from pydantic import BaseModel, Field, model_validator

from maxray_gen.errors import ConfigError
from maxray_gen.schema import FieldProblem, StrictModel, load

if TYPE_CHECKING:
    from maxray_gen.config import Config
    from maxray_gen.learn.config import LocaliserConfig, SSLConfig

METHODS = ("cl", "mcl", "scl")


class TestSplitConfig(StrictModel):
    """The test split: every scene set generated once more from its own seed, used only for the final scoring."""

    seed: int = Field(ge=0, description="seed of the test datasets (another draw of every lot); must differ "
                                        "from each scene set's generate.seed (`--test-seed` overrides it)")
    shards: int = Field(ge=1, description="shards per test dataset (of the scene set's samples_per_shard)")


class LearningCurveConfig(StrictModel):
    """Nested training sets of the headline scene set: SCL, its self-labels and the localisers on groundtruth and
    on SCL's labels trained again on each, all scored like the full-size models (whose point ends the curve)."""

    sizes: list[int] = Field(description="training-set sizes (samples with a target), increasing; each set is "
                                         "part of the next (one fixed permutation of the train split)")
    min_steps: int = Field(0, ge=0, description="the epochs of a small set are raised so that it trains at least "
                                                "this many batches (the full-size epochs otherwise)")

    @model_validator(mode="after")
    def _increasing(self):
        if not self.sizes or any(n < 1 for n in self.sizes) or any(b <= a for a, b in zip(self.sizes,
                                                                                          self.sizes[1:])):
            raise FieldProblem("sizes", f"needs positive, increasing sizes, got {self.sizes}")
        return self

    def epochs(self, epochs: int, batch_size: int, size: int) -> int:
        """The epochs for a set of ``size`` samples: ``epochs``, or more to reach ``min_steps`` batches."""
        return max(epochs, -(-self.min_steps * batch_size // size))


class ReproduceConfig(StrictModel):
    """A reproduction preset (``maxray_gen/presets/reproduce/<name>.yaml``)."""

    description: str = ""
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="cuda: the preset needs a GPU (refused "
                                                                      "without one)")
    expected_minutes: float | None = Field(None, gt=0, description="stated run time on the preset's machine")
    workers: int = Field(2, ge=1, description="dataset generation processes")
    scenes: dict[str, dict] = Field(description="scene set name -> `maxray generate` configuration; the first "
                                                "is the headline (the paper's multi-car lot)")
    ssl: dict = Field(default_factory=dict, description="`maxray train ssl` settings shared by the methods")
    methods: dict[str, dict] = Field(default_factory=lambda: {m: {} for m in METHODS},
                                     description="method -> its own setting overrides")
    localiser: dict = Field(default_factory=dict, description="`maxray train localiser` settings")
    localiser_labels: list[str] = Field(default_factory=lambda: ["groundtruth", "scl", "mcl", "cl"])
    selflabel_refine: Literal["none", "echo"] = Field(
        "none", description="none: a self-label is the attention maximum (the paper); echo: the brightest bin "
                            "(over the background map) within the maximum's receptive field (`maxray selflabels "
                            "--refine`); the report then also scores the unrefined maxima")
    ablations: dict[str, dict] = Field(default_factory=dict,
                                       description="name -> SCL setting overrides, trained on the headline scene "
                                                   "set and scored like the methods")
    test: TestSplitConfig | None = Field(None, description="the test split (scored only at the end); none: the "
                                                           "report has the validation split only")
    learning_curve: LearningCurveConfig | None = Field(None, description="nested training sets of the headline "
                                                                         "scene set (SCL and the localisers)")

    def curve_tags(self) -> list[tuple[str, int]]:
        """(tag, size) of every learning-curve point below full size: ``scl@N``."""
        return [] if self.learning_curve is None else [(f"scl@{n}", n) for n in self.learning_curve.sizes]

    def dataset_names(self) -> list[str]:
        """Every dataset the run needs: each scene set, then each one's test set (``SCENE/test``)."""
        return list(self.scenes) + ([f"{s}/test" for s in self.scenes] if self.test is not None else [])

    def scene_config(self, name: str, workers: int | None = None) -> "Config":
        """Scene set ``name`` as the typed `maxray generate` configuration (``workers`` local processes)."""
        from maxray_gen.config import Config
        from maxray_gen.schema import parse

        scene, _, test = name.partition("/")
        over: dict = {} if workers is None else {"generate": {"workers": workers}}
        if test:
            if self.test is None:
                raise ConfigError(f"{name}: the preset has no test split")
            over = deep_merge(over, {"generate": {"seed": self.test.seed, "shards": self.test.shards}})
        return parse(Config, deep_merge(self.scenes[scene], over), f"scenes.{scene}")

    def with_test_seed(self, test_seed: int | None) -> "ReproduceConfig":
        """This configuration with the test split's seed replaced (``--test-seed``), checked like the preset's."""
        if test_seed is None:
            return self
        if self.test is None:
            raise ConfigError("--test-seed: the preset has no test split (add a `test: {seed, shards}` section)")
        clash = self._seed_clash(test_seed)
        if clash:
            raise ConfigError(f"--test-seed {test_seed}: {clash}")
        return self.model_copy(update={"test": self.test.model_copy(update={"seed": test_seed})})

    def _seed_clash(self, test_seed: int) -> str | None:
        for name in self.scenes:
            if self.scene_config(name).generate.seed == test_seed:
                return (f"equals scene set {name}'s dataset seed (scenes.{name}.generate.seed); the test split "
                        "needs a seed of its own")
        return None

    def ssl_config(self, method: str, seed: int, ablation: str | None = None,
                   train_samples: int | None = None) -> "SSLConfig":
        """The typed training settings of ``method`` (or of SCL's ``ablation``): ``ssl``, then the method's own
        overrides, then the ablation's, then the seed and device; ``train_samples``: a learning-curve point."""
        from maxray_gen.learn.config import SSLConfig
        from maxray_gen.schema import parse

        d = deep_merge(self.ssl, self.methods.get(method, {}))
        if ablation is not None:
            d = deep_merge(d, self.ablations[ablation])
        d = self._at_size(d, SSLConfig, train_samples)
        d = deep_merge(d, {"method": method, "seed": seed, "device": "cuda" if self.device == "cuda" else "auto"})
        return parse(SSLConfig, d, f"methods.{method}" if ablation is None else f"ablations.{ablation}")

    def localiser_config(self, seed: int, train_samples: int | None = None) -> "LocaliserConfig":
        """The typed localiser settings with the run's seed (``train_samples``: a learning-curve point)."""
        from maxray_gen.learn.config import LocaliserConfig
        from maxray_gen.schema import parse

        d = self._at_size(deep_merge(self.localiser, {"seed": seed}), LocaliserConfig, train_samples)
        return parse(LocaliserConfig, d, "localiser")

    def _at_size(self, d: dict, model: type[BaseModel], train_samples: int | None) -> dict:
        """Settings ``d`` (of ``model``) for a learning-curve point of ``train_samples``: that many samples, for
        the curve's epochs (unchanged without a point)."""
        if train_samples is None:
            return d
        default = model.model_fields
        epochs = self.learning_curve.epochs(d.get("epochs", default["epochs"].default),
                                            d.get("batch_size", default["batch_size"].default), train_samples)
        return deep_merge(d, {"train_samples": train_samples, "epochs": epochs})

    @model_validator(mode="after")
    def _check(self):
        if not self.scenes:
            raise FieldProblem("scenes", "at least one scene set is needed")
        bad = [m for m in self.methods if m not in METHODS]
        if bad:
            raise FieldProblem("methods", f"unknown method {bad[0]!r}; methods: {', '.join(METHODS)}")
        for lab in self.localiser_labels:
            if lab != "groundtruth" and lab not in self.methods:
                raise FieldProblem("localiser_labels", f"{lab!r} is neither 'groundtruth' nor a trained method")
        for name in self.scenes:
            _nested(lambda: self.scene_config(name), f"scenes.{name}")
        for m in self.methods:
            _nested(lambda: self.ssl_config(m, 0), f"methods.{m}")
        for a in self.ablations:
            _nested(lambda: self.ssl_config("scl", 0, a), f"ablations.{a}")
        _nested(lambda: self.localiser_config(0), "localiser")
        for _, n in self.curve_tags():
            _nested(lambda: self.ssl_config("scl", 0, None, n), "learning_curve")
            _nested(lambda: self.localiser_config(0, n), "learning_curve")
        if self.learning_curve is not None and "scl" not in self.methods:
            raise FieldProblem("learning_curve", "trains SCL: add scl to the methods")
        if self.test is not None:
            clash = self._seed_clash(self.test.seed)
            if clash:
                raise FieldProblem("test.seed", clash)
        return self


def _nested(build: Callable[[], Any], where: str):
    """Build a typed nested section; its problem is reported under ``where`` in the preset file's message."""
    try:
        return build()
    except ConfigError as exc:
        raise FieldProblem(where, str(exc).removeprefix(f"{where}: ")) from None


def deep_merge(base: dict, over: dict) -> dict:
    """``base`` updated by ``over``, nested dicts merged key by key (neither is modified)."""
    out = dict(base)
    for k, v in over.items():
        out[k] = deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def load_preset(preset: str | None, config_path: Path | None) -> tuple[ReproduceConfig, str]:
    """(configuration, its name) from ``--preset NAME`` or ``--config FILE``."""
    if (preset is None) == (config_path is None):
        raise ConfigError("give one of --preset (cpu, scale, paper) or --config FILE")
    if preset is not None:
        from maxray_gen.presets import preset_path

        return load(ReproduceConfig, preset_path(preset, "reproduce")), preset
    return load(ReproduceConfig, config_path), Path(config_path).stem


def parse_data_options(values: tuple[str, ...], cfg: ReproduceConfig) -> dict[str, Path]:
    """``--data [SCENE=]DIR`` values -> {scene: path}; a bare DIR is the headline scene set; ``SCENE/test=DIR``
    is a scene set's test dataset."""
    out: dict[str, Path] = {}
    for v in values:
        scene, sep, path = v.partition("=")
        if not sep:
            scene, path = next(iter(cfg.scenes)), v
        out[scene] = Path(path)
    return out
