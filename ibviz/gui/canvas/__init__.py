"""The fabric canvas: :class:`~ibviz.gui.canvas.view.FabricView` and its parts (the model
of positions and colours, painting, labels, the legend, glyphs, input, navigation, the
packet layer)."""
