"""The styling world's rendering (pixels): the procedural scene, layers, light, weather and tone."""
