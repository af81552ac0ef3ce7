"""pgdx post-processing: load run files (docs/hdf5-layout.md) and draw the paper's figures.

Run with Debian's interpreter:  /usr/bin/python3 -m postprocess <figure> RUN_DIR -o OUT.png
"""
