"""Paint every photo in every style, on this machine's cores or a Dask cluster:
python style_batch.py PHOTO [PHOTO ...] --styles STYLE [STYLE ...] [options].

The program is painter/batch.py (its options) and painter/batch_run.py (its run); --help lists
the options, docs/batches.md explains them.
"""
if __name__ == "__main__":
    from painter import startup
    startup.starting_up()  # a Ctrl-C while the libraries load just stops, in one line
    from painter import batch
    startup.finish(batch.main())
