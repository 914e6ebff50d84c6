package dev.rnn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnn4j.Backend;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchCommandTest {
    @Test
    void tinyShapeWritesCsvAndPng(@TempDir Path dir) throws Exception {
        System.setProperty("java.awt.headless", "true");
        Path csv = dir.resolve("bench.csv"), png = dir.resolve("bench.png");
        Cli.Run r = Cli.run("bench", "--shape", "lstm,8,16,2,5", "--shape", "gru,4,8,3,4,2,bi", "--reps", "3", "--time", "0.01",
                "--csv", csv.toString(), "--plot", png.toString());
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("GFLOP/s"), r.out());
        assertTrue(r.out().contains("timed: infer = forward incl. input projection"), r.out());
        List<String> lines = Files.readAllLines(csv);
        assertTrue(lines.get(0).startsWith("id,cell,input,hidden,batch,steps"), lines.get(0));
        int backends = 0;
        for (Backend b : Backend.values()) if (b.isAvailable()) backends++;
        assertEquals(1 + 2 * 2 * backends, lines.size(), String.join("\n", lines));  // 2 shapes x 2 modes x backends
        assertTrue(lines.get(1).startsWith("X1,LSTM,8,16,2,5,1,false,train,"), lines.get(1));
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img, "a readable PNG");
        assertTrue(img.getWidth() > 400 && img.getHeight() > 100);
    }

    @Test
    void javaIsEstimatedFromFewerStepsBeyondItsBudget() {
        BenchCommand.Shape s = new BenchCommand.ShapeConverter().convert("lstm,16,32,4,400");
        BenchCommand b = new BenchCommand();
        b.reps = 3;
        b.minReps = 1;
        b.time = 0.01;
        b.javaBudget = 0.001;
        BenchCommand.Row row = b.measure(s, "infer", Backend.JAVA, 1);
        assertTrue(row.estimated());
        assertTrue(row.timedSteps() < 400, "ran " + row.timedSteps() + " steps");
        assertTrue(row.medianSeconds() > 0 && row.gflops() > 0);
    }

    @Test
    void flopsFollowTheDesignFormula() {
        BenchCommand.Shape s1 = BenchCommand.DESIGN_SHAPES.get(0);      // LSTM 256/256, N=16, T=150
        assertEquals(2.0 * 4 * 256 * (256 + 256) * 16 * 150, s1.forwardFlops());
        BenchCommand.Shape s7 = BenchCommand.DESIGN_SHAPES.get(6);      // 2 layers, bidirectional, I=128, H=256
        double layer0 = 2 * 2.0 * 4 * 256 * (128 + 256) * 32 * 100, layer1 = 2 * 2.0 * 4 * 256 * (512 + 256) * 32 * 100;
        assertEquals(layer0 + layer1, s7.forwardFlops());
    }

    @Test
    void precisionsAreTimedAgainstFp32() {
        Cli.Run r = Cli.run("bench", "--shape", "lstm,8,16,1,5", "--mode", "infer", "--backend", "java",
                "--precision", "fp32,bf16,INT8", "--reps", "2", "--time", "0.01");
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("infer-bf16") && r.out().contains("infer-int8"), r.out());
        assertTrue(r.out().contains("reduced precision against fp32"), r.out());
        Cli.Run bad = Cli.run("bench", "--shape", "gru,2,2,1,1", "--precision", "fp16");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("use fp32, bf16 or int8"), bad.err());
    }

    @Test
    void plotMustBeAPng(@TempDir Path dir) {
        Cli.Run r = Cli.run("bench", "--shape", "gru,2,2,1,1", "--plot", dir.resolve("x.jpg").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains(".png"), r.err());
    }
}
