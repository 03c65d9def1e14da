"""mlpsweep's analysis in Python (Debian's python3-numpy, python3-h5py,
python3-matplotlib; torch, optuna, sklearn only where a module says so).

Modules:
    results      read an output directory (journal, trials.csv, summary, ...)
    model        load_model: model.h5 as a numpy callable (`mlpsweep predict`),
                 fast path with folded transforms, training box, members
    torch_model  to_torch: model.h5 as a torch.nn.Module (needs torch)
    plots        the report's figures
    report       report.html
    names        the activation names shared with the C engine and PyTorch
    emulator_check  the true model as a process, a run's emulator with its
                 training exposure and box, the test points: what
                 mcmc_check.py and bias_fisher.py share
    optuna_io    the JSON-lines format of Optuna runs
    torch_ref    PyTorch training the way an mlpsweep task trains
    best_so_far, compare_samplers, compare_proposals, sampler_surrogate,
    optuna_tpe, torch_tutorial, bench_torch: commands
    (analysis/bench_loaders.py, analysis/mcmc_check.py and
    analysis/bias_fisher.py are standalone commands: the loaders' latency,
    the MCMC check of an emulator, its linearised bias on every test row)

Each command runs as `python3 -m mlpsweep_analysis.NAME` from analysis/, or
through its wrapper `analysis/NAME.py` (model: analysis/mlpsweep_model.py).
"""
