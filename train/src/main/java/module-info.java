/**
 * Deformable layers built on dcn4j's operators, a small optimiser, and the paper's learned-offset
 * demonstration ({@code dcn4j train}).
 */
module dcn4j.train {
    requires transitive dcn4j;
    requires java.desktop; // ImageIO, for the demonstration's pictures

    exports dcn4j.train;
}
